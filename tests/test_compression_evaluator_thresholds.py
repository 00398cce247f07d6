"""Executor-level tests: CompressionEvaluator's accuracy thresholds.

The built-in change thresholds (overall and per slice) and a user's
tfma.EvalConfig with value and change thresholds.
"""

import os

import numpy as np

from evaluator_runs import ACCURACY
from evaluator_runs import evaluate
from evaluator_runs import FAST
from evaluator_runs import fresh_model
from evaluator_runs import tflite_artifact
from model_factories import model_artifact
from tfx_compression.framework import artifact_io
from tfx_compression.compression_evaluator.config import CompressionEvaluatorConfig
from tfx_compression.compression_evaluator.config import MetricThreshold


def test_over_pruned_saved_model_is_refused_on_accuracy(trained_pipeline,
                                                        tmp_path):
  from tfx_compression.lib.export import serving_export  # pylint: disable=g-import-not-at-top
  model = fresh_model(trained_pipeline)
  for layer in model.layers:
    weights = layer.get_weights()
    if weights:  # Zero 95 % of each kernel: keep only the largest 5 %.
      kernel = weights[0]
      weights[0] = np.where(np.abs(kernel) >= np.quantile(np.abs(kernel), 0.95),
                            kernel, 0.0)
      layer.set_weights(weights)
  uri = str(tmp_path / "over_pruned")
  serving_export.save_with_original_signatures(
      model, artifact_io.serving_dir(trained_pipeline.model.uri),
      os.path.join(uri, "Format-Serving"))
  run = evaluate(trained_pipeline, model_artifact(uri), str(tmp_path / "eval"),
                 CompressionEvaluatorConfig(benchmark=FAST))
  assert run.report["verdict"] == "NOT_BLESSED"
  assert run.failed == [f"{ACCURACY}[Overall]"]
  check = run.checks[f"{ACCURACY}[Overall]"]
  assert check["value"] < -0.1 and "beyond the allowed change -0.02" in check["reason"]
  # Both SavedModels are served by their signatures; sizes are measured on
  # their float TFLite conversions.
  assert run.report["candidate"]["runs_as"] == (
      "serving_default on the serialized examples")
  assert run.report["candidate"]["measured_as"].startswith("float32 TFLite")
  assert run.report["candidate"]["overall_weight_sparsity"] > 0.9
  assert run.report["ratios"]["baseline"]["gzip_size_ratio"] > 3


def test_one_suppressed_class_fails_its_slice_only(trained_pipeline, tmp_path):
  model = fresh_model(trained_pipeline)
  dense = model.get_layer("probabilities")
  kernel, bias = dense.get_weights()
  bias[3] -= 100.0  # Class 3 is never predicted any more.
  dense.set_weights([kernel, bias])
  candidate = tflite_artifact(model, str(tmp_path / "no_class_3"))
  config = CompressionEvaluatorConfig(
      metrics=(MetricThreshold(max_drop=0.2, max_slice_drop=0.02),),
      slices=(("label",),), benchmark=FAST)
  run = evaluate(trained_pipeline, candidate, str(tmp_path / "eval"), config)
  assert run.report["verdict"] == "NOT_BLESSED"
  assert run.failed == [f"{ACCURACY}[label:3]"]
  slice_check = run.checks[f"{ACCURACY}[label:3]"]
  assert slice_check["value"] < -0.9 and slice_check["threshold"] == -0.02
  assert run.checks[f"{ACCURACY}[Overall]"]["passed"]
  assert run.checks[f"{ACCURACY}[label:4]"]["passed"]


def test_user_eval_config_value_and_change_thresholds(trained_pipeline,
                                                      float_tflite, tmp_path):
  import tensorflow_model_analysis as tfma  # pylint: disable=g-import-not-at-top
  accuracy = lambda lower: tfma.MetricConfig(
      class_name="SparseCategoricalAccuracy",
      threshold=tfma.MetricThreshold(
          value_threshold=tfma.GenericValueThreshold(
              lower_bound={"value": lower}),
          change_threshold=tfma.GenericChangeThreshold(
              direction=tfma.MetricDirection.HIGHER_IS_BETTER,
              absolute={"value": -0.01})))
  runs = {}
  for lower in (0.9, 0.999):
    eval_config = tfma.EvalConfig(
        model_specs=[tfma.ModelSpec(label_key="label")],
        slicing_specs=[tfma.SlicingSpec()],
        metrics_specs=[tfma.MetricsSpec(metrics=[accuracy(lower)])])
    runs[lower] = evaluate(
        trained_pipeline, float_tflite, str(tmp_path / f"user_{lower}"),
        CompressionEvaluatorConfig(eval_config=eval_config, benchmark=FAST))
  ok, strict = runs[0.9], runs[0.999]
  assert ok.report["verdict"] == "BLESSED", ok.report["checks"]
  assert {f"{ACCURACY}[Overall]", f"{ACCURACY}[Overall]:value"} <= set(
      ok.checks)
  assert strict.report["verdict"] == "NOT_BLESSED"
  assert strict.failed == [f"{ACCURACY}[Overall]:value"]
  assert "outside its bounds" in strict.checks[f"{ACCURACY}[Overall]:value"][
      "reason"]
  # The key figures are on the evaluation for every candidate alike.
  evaluation = ok.evaluation
  assert evaluation.get_string_custom_property("verdict") == "BLESSED"
  assert evaluation.get_float_custom_property(f"metric_{ACCURACY}") > 0.9
  assert evaluation.get_float_custom_property("size_bytes") > 10_000
