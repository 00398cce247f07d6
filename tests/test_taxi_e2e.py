"""The drop-in on TFX's OWN Chicago taxi native-Keras example, left unmodified.

`taxi_pipeline_native_keras._create_pipeline` with its module
`taxi_utils_native_keras.py` (Transform with string vocabularies, a wide and
deep binary classifier saved by `tf.saved_model.save`), run on a 600-row
subset of the wheel's data with the Trainer's steps lowered; the compression
branches are appended and the whole pipeline runs with LocalDagRunner.
"""

import json
import os

import pytest

import taxi_example
import tfx_examples
from tfx_compression.compression_evaluator.config import Benchmark
from tfx_compression.compression_evaluator.config import CompressionEvaluatorConfig
from tfx_compression.fine_tuning.config import FineTuning
from tfx_compression.pipelines.compression import add_compression
from tfx_compression.pipelines.compression import CompressionPlan
from tfx_compression.pruner.config import PolynomialDecay
from tfx_compression.pruner.config import PrunerConfig

INPUTS = os.environ.get("TAXI_TFLITE_INPUTS", "serving")
VARIANTS = ("none", "ptq_dynamic_range", "pruned_tflite")
FAST = CompressionEvaluatorConfig(
    benchmark=Benchmark(warmup_runs=2, runs=20, measure_memory=False))


def _plan(serving_dir):
  from tfx_compression.post_training_quantizer.config import PostTrainingQuantizerConfig  # pylint: disable=g-import-not-at-top
  return CompressionPlan(
      lite_optimizations=("none",), ptq_modes=("dynamic_range",),
      ptq_config=PostTrainingQuantizerConfig(inputs=INPUTS),
      pruner=PrunerConfig(
          schedule=PolynomialDecay(0.3, 0.5, frequency=2),
          fine_tuning=FineTuning(epochs=1, steps_per_epoch=10)),
      model_fn=taxi_example.TAXI_MODEL_FN,
      model_fn_kwargs={"hidden_units": taxi_example.TAXI_HIDDEN_UNITS},
      evaluator=FAST, push_destination=serving_dir)


@pytest.mark.e2e
def test_taxi_example_with_compression(tmp_path):
  taxi = taxi_example.taxi_pipeline(str(tmp_path))
  branches = add_compression(
      taxi.component("CsvExampleGen").outputs["examples"],
      taxi.component("Trainer").outputs["model"], _plan(
          str(tmp_path / "compressed")),
      transform_graph=taxi.component("Transform").outputs["transform_graph"])
  tfx_examples.run(taxi, branches)
  verdicts = {}
  for component in branches:
    if not component.id.startswith("CompressionEvaluator."):
      continue
    variant = component.id.split(".", 1)[1]
    (evaluation,) = tfx_examples.outputs(taxi, component.id)["evaluation"]
    report = json.load(open(os.path.join(evaluation.uri, "report.json")))
    assert report["error"] is None, (variant, report["error"])
    assert evaluation.get_string_custom_property("task") == "binary", variant
    auc = evaluation.get_custom_property("metric_auc")
    assert auc is not None and 0.0 <= auc <= 1.0, (variant, auc)
    verdict = evaluation.get_string_custom_property("verdict")
    assert verdict in ("BLESSED", "NOT_BLESSED"), (variant, verdict)
    verdicts[variant] = (verdict, auc)
  print("taxi verdicts (verdict, auc):", verdicts)
  assert set(verdicts) == set(VARIANTS), verdicts
  (blessing,) = tfx_examples.outputs(taxi, "CandidateSelector")["blessing"]
  print("CandidateSelector selected:",
        blessing.get_string_custom_property("selected_variant"),
        "blessed:", blessing.get_int_custom_property("blessed"))
