"""A regression pipeline written the ordinary TFX way, with the drop-in.

CSV -> CsvExampleGen -> Trainer (Dense(1), MSE) -> add_compression: float
and int8 TFLite, pruned and QAT candidates, each judged by mean squared and
mean absolute error against the Trainer's model; the selector pushes one.
"""

import os

import pytest


def _write_csv(directory: str) -> str:
  import task_models  # pylint: disable=g-import-not-at-top
  os.makedirs(directory, exist_ok=True)
  x, y = task_models.rows(1000, 0, "regression")
  with open(os.path.join(directory, "data.csv"), "w") as f:
    f.write(",".join(task_models.FEATURES + ("label",)) + "\n")
    for features, label in zip(x, y):
      f.write(",".join(f"{v:.5f}" for v in features) + f",{label:.4f}\n")
  return directory


@pytest.mark.e2e
def test_regression_pipeline_is_compressed_judged_by_error_and_pushed(
    tmp_path):
  # pylint: disable=g-import-not-at-top
  import regression_trainer
  import tfx_examples
  from tfx.components.example_gen.csv_example_gen.component import CsvExampleGen
  from tfx.components.trainer.component import Trainer
  from tfx.proto import trainer_pb2
  from tfx_compression.fine_tuning.config import FineTuning
  from tfx_compression.pipelines.compression import CompressionPlan
  from tfx_compression.pipelines.compression import add_compression
  from tfx_compression.pruner.config import PolynomialDecay
  from tfx_compression.pruner.config import PrunerConfig
  from tfx_compression.quantization_aware_trainer.config import QatConfig
  example_gen = CsvExampleGen(input_base=_write_csv(str(tmp_path / "data")))
  trainer = Trainer(module_file=regression_trainer.__file__,
                    examples=example_gen.outputs["examples"],
                    train_args=trainer_pb2.TrainArgs(num_steps=300),
                    eval_args=trainer_pb2.EvalArgs(num_steps=10))
  tuning = FineTuning(epochs=1, learning_rate_scale=0.1)
  plan = CompressionPlan(
      ptq_modes=("int8",),
      pruner=PrunerConfig(schedule=PolynomialDecay(0.3, 0.6),
                          fine_tuning=tuning),
      qat=QatConfig(fine_tuning=tuning),
      push_destination=str(tmp_path / "serving"))
  example = tfx_examples.ExamplePipeline(
      name="regression", workdir=str(tmp_path),
      pipeline_root=str(tmp_path / "root"),
      metadata_path=str(tmp_path / "metadata.sqlite"),
      components={"CsvExampleGen": example_gen, "Trainer": trainer},
      ids=["CsvExampleGen", "Trainer"])
  compression = add_compression(example_gen.outputs["examples"],
                                trainer.outputs["model"], plan)
  tfx_examples.run(example, compression)
  verdicts = {}
  for component in compression:
    if not component.id.startswith("CompressionEvaluator."):
      continue
    (evaluation,) = tfx_examples.outputs(example, component.id)["evaluation"]
    assert evaluation.get_string_custom_property("task") == "regression"
    mse = evaluation.get_custom_property("metric_mean_squared_error")
    assert mse is not None and mse > 0
    assert evaluation.get_custom_property("metric_mean_absolute_error") > 0
    verdicts[component.id.split(".", 1)[1]] = (
        evaluation.get_string_custom_property("verdict"))
  assert set(verdicts) == {"none", "ptq_int8", "pruned_tflite", "pruned_qat"}
  assert verdicts["none"] == "BLESSED", verdicts
  (blessing,) = tfx_examples.outputs(example, "CandidateSelector")["blessing"]
  winner = blessing.get_string_custom_property("selected_variant")
  assert verdicts[winner] == "BLESSED"
  assert len(os.listdir(tmp_path / "serving")) == 1
