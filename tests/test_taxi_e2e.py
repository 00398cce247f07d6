"""The drop-in on TFX's own Chicago taxi native-Keras example, unmodified.

`taxi_pipeline_native_keras._create_pipeline` with its module
`taxi_utils_native_keras.py` (Transform with string vocabularies and missing
values filled in, a wide-and-deep binary classifier with CategoryEncoding
layers, saved by `tf.saved_model.save`), run on a 600-row subset of the
wheel's data with the Trainer's steps lowered on the component object; the
compression branches are appended as the README says.

The TFLite models take the raw features (missing values filled as the
serving path does) with the Transform graph folded in: its vocabularies run
as in-memory tables, CategoryEncoding as builtins, and the Transform's ops
with no builtin (bucketize, hashing of OOV strings) as select TF ops, named
on the artifact. What the plan must say, and why: the Pruner rebuilds the Keras model
with the module's builder and the arguments its run_fn used
(`model_fn_kwargs`). The label (`tips_xf`, 0/1) and the task (binary: a
sigmoid column in [0, 1] over 0/1 labels) are derived from the artifacts.
"""

import json
import os

import pytest

import tfx_examples
from tfx_compression.compression_evaluator.config import Benchmark
from tfx_compression.compression_evaluator.config import CompressionEvaluatorConfig
from tfx_compression.fine_tuning.config import FineTuning
from tfx_compression.pipelines.compression import CompressionPlan
from tfx_compression.pipelines.compression import add_compression
from tfx_compression.pruner.config import PolynomialDecay
from tfx_compression.pruner.config import PrunerConfig

VARIANTS = ("pruned_tflite",)


def _plan(serving_dir):
  return CompressionPlan(
      # One branch, to keep the suite short: the Pruner, its model converted
      # by a LiteConverter.
      lite_optimizations=(), ptq_modes=(),
      pruner=PrunerConfig(
          schedule=PolynomialDecay(0.3, 0.5, frequency=2),
          fine_tuning=FineTuning(epochs=1, steps_per_epoch=10)),
      model_fn=tfx_examples.TAXI_MODEL_FN,
      model_fn_kwargs={"hidden_units": tfx_examples.TAXI_HIDDEN_UNITS},
      evaluator=CompressionEvaluatorConfig(benchmark=Benchmark(
          warmup_runs=2, runs=20, measure_memory=False)),
      push_destination=serving_dir)


@pytest.mark.e2e
def test_taxi_example_with_compression(tmp_path):
  taxi = tfx_examples.taxi_pipeline(str(tmp_path))
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
    assert report["tfma"]["label_key"] == "tips_xf"
    assert evaluation.get_string_custom_property("task") == "binary", variant
    auc = evaluation.get_custom_property("metric_auc")
    assert auc is not None and 0.0 <= auc <= 1.0, (variant, auc)
    verdicts[variant] = (evaluation.get_string_custom_property("verdict"),
                         auc)
  print("taxi verdicts (verdict, auc):", verdicts)
  assert set(verdicts) == set(VARIANTS), verdicts
  (tflite,) = tfx_examples.outputs(taxi, "LiteConverter.pruned_tflite")[
      "tflite_model"]
  # Raw features in; CategoryEncoding is builtin, the Transform's
  # bucketize and OOV hashing run as select TF ops, named.
  report = json.load(open(os.path.join(tflite.uri, "report.json")))
  assert {"company", "fare", "trip_start_hour"} <= set(
      report["summary"]["input_names"])
  assert tflite.get_string_custom_property("tflite_inputs") == "serving"
  flex = json.loads(tflite.get_string_custom_property("flex_ops"))
  assert "DenseBincount" not in flex and "UpperBound" in flex, flex
  (pruned,) = tfx_examples.outputs(taxi, "Pruner.pruned")["pruned_model"]
  assert pruned.get_string_custom_property("task") == "binary"
  (blessing,) = tfx_examples.outputs(taxi, "CandidateSelector")["blessing"]
  print("CandidateSelector selected:",
        blessing.get_string_custom_property("selected_variant"),
        "blessed:", blessing.get_int_custom_property("blessed"))
