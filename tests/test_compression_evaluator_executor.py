"""Executor-level tests: CompressionEvaluator on the session's real Trainer output.

Each TFMA run costs several seconds, so runs are module fixtures shared by
the tests that assert on them.
"""

import json
import os

import numpy as np
import pytest

from model_factories import model_artifact
from model_factories import save_keras
from model_factories import small_cnn
from tfx_compression import artifact_io
from tfx_compression.compression_evaluator import checks
from tfx_compression.compression_evaluator import executor
from tfx_compression.compression_evaluator.config import Benchmark
from tfx_compression.compression_evaluator.config import Budgets
from tfx_compression.compression_evaluator.config import CompressionEvaluatorConfig
from tfx_compression.compression_evaluator.config import MetricThreshold

ACCURACY = "sparse_categorical_accuracy"
FAST = Benchmark(warmup_runs=2, runs=20, batch_size=8, measure_memory=False)


class Run:
  """The outputs of one Executor.Do call."""

  def __init__(self, evaluation, blessing):
    self.evaluation, self.blessing = evaluation, blessing
    self.report = json.load(open(os.path.join(evaluation.uri, "report.json")))
    self.checks = {c["name"]: c for c in self.report["checks"]}

  @property
  def failed(self):
    return self.report["failed_checks"]


def _evaluate(trained_pipeline, candidate, out_dir, config) -> Run:
  from tfx.types import standard_artifacts  # pylint: disable=g-import-not-at-top
  evaluation = standard_artifacts.ModelEvaluation()
  evaluation.uri = os.path.join(out_dir, "evaluation")
  blessing = standard_artifacts.ModelBlessing()
  blessing.uri = os.path.join(out_dir, "blessing")
  baseline = trained_pipeline.model
  for artifact, artifact_id in ((candidate, 7), (baseline, baseline.id or 3)):
    artifact.id = artifact_id
  executor.Executor().Do(
      {"examples": [trained_pipeline.examples], "model": [candidate],
       "baseline_model": [baseline]},
      {"evaluation": [evaluation], "blessing": [blessing]},
      {"evaluator_config": config.to_json()})
  return Run(evaluation, blessing)


def _tflite_artifact(keras_model, uri):
  from tfx_compression.lib import lite_conversion  # pylint: disable=g-import-not-at-top
  data = lite_conversion.convert_validated(keras_model, None).model_bytes
  artifact_io.write_bytes(artifact_io.tflite_path(uri), data)
  return model_artifact(uri)


def _fresh_model(trained_pipeline):
  from tfx_compression.lib import keras_io  # pylint: disable=g-import-not-at-top
  return keras_io.load_keras_model(
      artifact_io.serving_dir(trained_pipeline.model.uri))


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
  return tmp_path_factory.mktemp("compression_evaluator")


@pytest.fixture(scope="module")
def float_tflite(trained_pipeline, workdir):
  """The Trainer's model converted to float32 TFLite (a LiteConverter output)."""
  return _tflite_artifact(_fresh_model(trained_pipeline),
                          str(workdir / "float_tflite"))


@pytest.fixture(scope="module")
def blessed_run(trained_pipeline, float_tflite, workdir):
  config = CompressionEvaluatorConfig(
      slices=(("label",),),
      budgets=Budgets(max_size_bytes=10**6, min_size_ratio=0.99,
                      max_latency_ms=50.0, max_peak_memory_bytes=2 * 10**9))
  return _evaluate(trained_pipeline, float_tflite, str(workdir / "blessed"),
                   config)


def test_float_tflite_is_blessed_with_every_check_passing(blessed_run,
                                                          float_tflite,
                                                          trained_pipeline):
  run = blessed_run
  assert run.report["verdict"] == "BLESSED" and run.failed == []
  assert run.report["error"] is None
  names = set(run.checks)
  assert {f"{ACCURACY}[Overall]", f"{ACCURACY}[label:0]",
          f"{ACCURACY}[label:9]", checks.SIZE_BYTES, checks.SIZE_RATIO,
          checks.LATENCY_MS, checks.PEAK_MEMORY} <= names
  overall = run.checks[f"{ACCURACY}[Overall]"]
  assert overall["passed"] and overall["value"] == pytest.approx(0.0, abs=1e-6)
  assert overall["threshold"] == -0.02
  metric = [m for m in run.report["metrics"] if m["slice_name"] == "Overall"][0]
  assert metric["candidate"] > 0.9 and metric["num_examples"] > 300
  # Blessing: what the stock Evaluator writes, so Pusher and Cond accept it.
  blessing = run.blessing
  assert os.listdir(blessing.uri) == ["BLESSED"]
  assert blessing.get_int_custom_property("blessed") == 1
  assert blessing.get_string_custom_property("current_model") == float_tflite.uri
  assert blessing.get_int_custom_property("candidate_model_id") == 7
  # Not `current_model_id`: a host pipeline's LatestBlessedModelStrategy
  # pairs models with blessings by it and would take this TFLite candidate.
  assert "current_model_id" not in blessing.mlmd_artifact.custom_properties
  assert (blessing.get_string_custom_property("baseline_model") ==
          trained_pipeline.model.uri)


def metric_examples(report) -> int:
  (overall,) = [m for m in report["metrics"] if m["slice_name"] == "Overall"]
  return int(overall["num_examples"])


def test_blessed_run_reports_figures_and_tfma_outputs(blessed_run):
  report, uri = blessed_run.report, blessed_run.evaluation.uri
  cand, base = report["candidate"], report["baseline"]
  assert cand["measured_as"] == "tflite"
  assert base["measured_as"].startswith("float32 TFLite conversion")
  assert cand["size_bytes"] == base["size_bytes"] > 10_000
  assert 0 < cand["gzip_size_bytes"] < cand["size_bytes"]
  for fig in (cand, base):
    assert set(fig["latency"]) == {"1", "32"}
    assert 0 < fig["latency"]["1"]["median_us"] <= fig["latency"]["1"]["p90_us"]
    assert fig["latency"]["32"]["median_us"] > fig["latency"]["1"]["median_us"]
    assert fig["latency"]["1"]["num_threads"] == 1
    assert 0 < fig["peak_memory_bytes"] < 10**9
    memory = fig["memory"]
    assert memory["loader"] == "ai-edge-litert"
    assert memory["runtime_only_increase_bytes"] > 0
    assert memory["over_runtime_bytes"] == (
        memory["increase_bytes"] - memory["runtime_only_increase_bytes"])
  assert report["ratios"]["baseline"]["size_ratio"] == 1.0
  assert report["baselines"] == ["baseline"]
  tfma = report["tfma"]
  assert tfma["complete"] and tfma["output_path"] == uri
  assert (tfma["label_key"], tfma["prediction_key"]) == ("label",
                                                         "probabilities")
  assert tfma["examples"] == metric_examples(report)
  assert cand["runs_as"].startswith("TFLite interpreter")
  assert base["runs_as"] == "serving_default on the serialized examples"
  files = os.listdir(uri)
  assert any(f.startswith("metrics") for f in files)
  assert os.listdir(os.path.join(uri, "predictions"))
  # The SavedModel baseline was converted to TFLite to be measured.
  assert os.path.isfile(os.path.join(uri, "converted", "baseline",
                                     "Format-Serving", "tflite"))
  page = open(os.path.join(uri, "report.html")).read()
  assert page.count("<svg") >= 4 and "BLESSED" in page


def test_blessed_run_reports_each_class_from_the_predictions(blessed_run):
  report = blessed_run.report
  view = report["per_class"]
  assert view["label_key"] == "label" and view["classes"] == list(range(10))
  assert view["examples"] == metric_examples(report)
  assert view["skipped_records"] == 0
  for role in ("candidate", "baseline"):
    matrix = np.array(view["confusion"][role])
    assert matrix.sum() == view["examples"]
    assert matrix.sum(axis=1).tolist() == view["examples_per_class"]
  # The same accuracy per class as TFMA's label slices computed.
  by_slice = {m["slice_name"]: m for m in report["metrics"]
              if m["metric"] == ACCURACY}
  for k in range(10):
    assert view["accuracy"]["candidate"][k] == pytest.approx(
        by_slice[f"label:{k}"]["candidate"], abs=1e-6)
    assert view["accuracy"]["baseline"][k] == pytest.approx(
        by_slice[f"label:{k}"]["baseline"], abs=1e-6)
  # A float conversion answers as the SavedModel does.
  assert view["changed"]["baseline"] < 0.01
  assert report["quantizer_layers"] is None  # Not a quantizer's output.
  assert report["variant"] == "float_tflite"
  page = open(os.path.join(blessed_run.evaluation.uri, "report.html")).read()
  assert "<h1>float_tflite: CompressionEvaluator report</h1>" in page
  assert "Candidate confusion matrix" in page
  assert "Per-layer quantization error" not in page


@pytest.fixture(scope="module")
def ptq_run(trained_pipeline, workdir):
  """A PostTrainingQuantizer int8 candidate (dense layers kept float), evaluated.

  The evaluator runs as `CompressionEvaluator.ptq_int8`, as add_compression
  names it.
  """
  # pylint: disable=g-import-not-at-top
  from tfx.dsl.components.base import base_beam_executor
  from tfx.proto.orchestration import pipeline_pb2
  from tfx_compression.post_training_quantizer.config import PostTrainingQuantizerConfig
  import executor_harness as harness
  quantized = harness.run(
      "PostTrainingQuantizer", {"model": trained_pipeline.model,
                                "examples": trained_pipeline.examples},
      str(workdir / "ptq"), PostTrainingQuantizerConfig(
          mode="int8", num_calibration_examples=100,
          num_validation_examples=100, num_debug_examples=20,
          float_ops=("FULLY_CONNECTED",)))["quantized_model"]
  node = pipeline_pb2.PipelineNode()
  node.node_info.id = "CompressionEvaluator.ptq_int8"
  outputs = harness.run(
      "CompressionEvaluator", {"examples": trained_pipeline.examples,
                               "model": quantized,
                               "baseline_model": trained_pipeline.model},
      str(workdir / "ptq_evaluation"), CompressionEvaluatorConfig(
          benchmark=FAST),
      context=base_beam_executor.BaseBeamExecutor.Context(pipeline_node=node))
  return Run(outputs["evaluation"], outputs["blessing"])


def test_quantizer_candidate_shows_its_per_layer_error(ptq_run, tmp_path):
  import html_dom  # pylint: disable=g-import-not-at-top
  report = ptq_run.report
  assert report["error"] is None and report["variant"] == "ptq_int8"
  layers = report["quantizer_layers"]
  assert layers["file"].endswith("layer_errors.csv")
  assert 3 <= len(layers["top"]) <= layers["tensors"]
  errors = [r["rmse_over_scale"] for r in layers["top"]]
  assert errors == sorted(errors, reverse=True) and errors[0] > 0
  assert layers["kept_float"] and {
      r["op_name"] for r in layers["kept_float"]} == {"FULLY_CONNECTED"}
  assert all("float_ops" in r["reason"] for r in layers["kept_float"])
  assert 0 <= layers["relative_output_error"] < 1
  page = open(os.path.join(ptq_run.evaluation.uri, "report.html")).read()
  assert "<h1>ptq_int8: CompressionEvaluator report</h1>" in page
  assert "Kept float: FULLY_CONNECTED: " in page
  assert f"{layers['relative_output_error']:.4g} as published." in page
  # The real page, as a browser shows it: every plot titled, axes labelled.
  rendered = html_dom.render(page, str(tmp_path))
  titles = [texts[0] if texts else "" for texts in rendered.svgs]
  assert len(rendered.svgs) == rendered.figures >= 9
  for title, x_label in (
      ("Per-layer quantization error",
       "RMSE in quantization steps (RMSE / scale)"),
      ("Candidate confusion matrix", "predicted class"),
      ("Model size", "form of the model file")):
    (texts,) = [t for t in rendered.svgs if title in t]
    assert x_label in texts
  assert any(t.startswith("Latency at batch 1") for s in rendered.svgs
             for t in s), titles


@pytest.fixture(scope="module")
def tight_budgets_run(trained_pipeline, float_tflite, workdir):
  config = CompressionEvaluatorConfig(
      budgets=Budgets(max_size_bytes=20_000, max_latency_ms=0.001,
                      max_peak_memory_bytes=1_000_000),
      benchmark=Benchmark(warmup_runs=2, runs=20, batch_size=8))
  return _evaluate(trained_pipeline, float_tflite, str(workdir / "tight"),
                   config)


@pytest.mark.parametrize("name, limit", [
    (checks.SIZE_BYTES, 20_000),
    (checks.LATENCY_MS, 0.001),
    (checks.PEAK_MEMORY, 1_000_000),
])
def test_each_budget_failure_is_named(tight_budgets_run, name, limit):
  run = tight_budgets_run
  assert run.report["verdict"] == "NOT_BLESSED"
  assert os.listdir(run.blessing.uri) == ["NOT_BLESSED"]
  assert run.blessing.get_int_custom_property("blessed") == 0
  assert name in run.failed
  check = run.checks[name]
  assert check["threshold"] == limit and check["value"] > limit
  assert "exceeds the budget" in check["reason"]
  # Accuracy itself was fine: only the budgets failed.
  assert run.checks[f"{ACCURACY}[Overall]"]["passed"]
  assert sorted(run.failed) == sorted(
      [checks.SIZE_BYTES, checks.LATENCY_MS, checks.PEAK_MEMORY])


def test_over_pruned_saved_model_is_refused_on_accuracy(trained_pipeline,
                                                        workdir):
  from tfx_compression.lib import keras_export  # pylint: disable=g-import-not-at-top
  model = _fresh_model(trained_pipeline)
  for layer in model.layers:
    weights = layer.get_weights()
    if weights:  # Zero 95 % of each kernel: keep only the largest 5 %.
      kernel = weights[0]
      weights[0] = np.where(np.abs(kernel) >= np.quantile(np.abs(kernel), 0.95),
                            kernel, 0.0)
      layer.set_weights(weights)
  uri = str(workdir / "over_pruned")
  keras_export.save_with_original_signatures(
      model, artifact_io.serving_dir(trained_pipeline.model.uri),
      os.path.join(uri, "Format-Serving"))
  run = _evaluate(trained_pipeline, model_artifact(uri),
                  str(workdir / "over_pruned_eval"),
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


def test_one_suppressed_class_fails_its_slice_only(trained_pipeline, workdir):
  model = _fresh_model(trained_pipeline)
  dense = model.get_layer("probabilities")
  kernel, bias = dense.get_weights()
  bias[3] -= 100.0  # Class 3 is never predicted any more.
  dense.set_weights([kernel, bias])
  candidate = _tflite_artifact(model, str(workdir / "no_class_3"))
  config = CompressionEvaluatorConfig(
      metrics=(MetricThreshold(max_drop=0.2, max_slice_drop=0.02),),
      slices=(("label",),), benchmark=FAST)
  run = _evaluate(trained_pipeline, candidate, str(workdir / "no_class_3_eval"),
                  config)
  assert run.report["verdict"] == "NOT_BLESSED"
  assert run.failed == [f"{ACCURACY}[label:3]"]
  slice_check = run.checks[f"{ACCURACY}[label:3]"]
  assert slice_check["value"] < -0.9 and slice_check["threshold"] == -0.02
  assert run.checks[f"{ACCURACY}[Overall]"]["passed"]
  assert run.checks[f"{ACCURACY}[label:4]"]["passed"]


def test_unknown_slice_feature_makes_evaluation_incomplete(trained_pipeline,
                                                           float_tflite,
                                                           workdir):
  config = CompressionEvaluatorConfig(slices=(("colour",),), benchmark=FAST)
  run = _evaluate(trained_pipeline, float_tflite, str(workdir / "no_colour"),
                  config)
  assert run.report["verdict"] == "NOT_BLESSED"
  assert run.failed == [checks.EVALUATION]
  assert "no example has feature(s) ['colour']" in (
      run.checks[checks.EVALUATION]["reason"])
  assert run.blessing.get_int_custom_property("blessed") == 0


def _assert_refused_before_tfma(run, message):
  assert run.report["verdict"] == "NOT_BLESSED"
  assert run.failed == [checks.EVALUATION]
  assert message in run.report["error"]
  assert message in run.checks[checks.EVALUATION]["reason"]
  assert os.listdir(run.blessing.uri) == ["NOT_BLESSED"]
  assert run.blessing.get_int_custom_property("blessed") == 0
  assert not any(f.startswith("metrics")
                 for f in os.listdir(run.evaluation.uri))
  assert "Evaluation error" in open(
      os.path.join(run.evaluation.uri, "report.html")).read()


def test_input_name_mismatch_is_refused(trained_pipeline, tmp_path):
  candidate = _tflite_artifact(small_cnn(input_name="pixels"),
                               str(tmp_path / "pixels"))
  run = _evaluate(trained_pipeline, candidate, str(tmp_path / "out"),
                  CompressionEvaluatorConfig())
  _assert_refused_before_tfma(
      run, "InputMismatchError: candidate TFLite input(s) ['pixels'] are "
      "neither features of the eval examples")


def test_saved_model_without_example_signature_is_refused(trained_pipeline,
                                                          tmp_path):
  save_keras(small_cnn(), str(tmp_path / "dense" / "Format-Serving"))
  run = _evaluate(trained_pipeline, model_artifact(str(tmp_path / "dense")),
                  str(tmp_path / "out"), CompressionEvaluatorConfig())
  _assert_refused_before_tfma(
      run, "the candidate SavedModel's serving_default takes ['image'], not "
      "serialized tf.Examples")


def test_unknown_prediction_key_is_refused(trained_pipeline, float_tflite,
                                           tmp_path):
  run = _evaluate(trained_pipeline, float_tflite, str(tmp_path / "out"),
                  CompressionEvaluatorConfig(prediction_key="logits"))
  _assert_refused_before_tfma(
      run, "prediction_key 'logits' is not an output of the ['candidate', "
      "'baseline'] model(s)")


@pytest.mark.parametrize("make, message", [
    (lambda p: (p / "m" / "Format-Serving").mkdir(parents=True) or
     (p / "m" / "Format-Serving" / "tflite").write_bytes(b"not a flatbuffer"),
     "UnsupportedModelError: "),
    (lambda p: (p / "m").mkdir(), "has no Format-Serving directory"),
])
def test_evaluation_error_is_not_blessed(trained_pipeline, tmp_path, make,
                                         message):
  make(tmp_path)
  run = _evaluate(trained_pipeline, model_artifact(str(tmp_path / "m")),
                  str(tmp_path / "out"), CompressionEvaluatorConfig())
  _assert_refused_before_tfma(run, message)
  assert "Traceback" in run.report["traceback"]


def _candidate_accuracy(run) -> float:
  (overall,) = [m for m in run.report["metrics"]
                if m["slice_name"] == "Overall"]
  return overall["candidate"]


def test_int8_io_tflite_is_evaluated_like_its_float_io_export(
    trained_pipeline, eval_inputs, tmp_path):
  from tfx_compression.lib import quantization  # pylint: disable=g-import-not-at-top
  inputs, _ = eval_inputs
  calibration = {"image": inputs["image"][:100]}
  runs = {}
  for io_type in ("int8", "float32"):
    data = quantization.quantize(_fresh_model(trained_pipeline), "int8",
                                 io_type, calibration).model_bytes
    uri = str(tmp_path / io_type)
    artifact_io.write_bytes(artifact_io.tflite_path(uri), data)
    runs[io_type] = _evaluate(trained_pipeline, model_artifact(uri),
                              str(tmp_path / f"{io_type}_eval"),
                              CompressionEvaluatorConfig(benchmark=FAST))
  int8, float_io = runs["int8"], runs["float32"]
  assert int8.report["candidate"]["input_dtypes"] == {"image": "int8"}
  assert int8.report["verdict"] == "BLESSED", int8.report["checks"]
  # Inputs quantized with the model's own scale and zero point (rounded and
  # clipped), outputs dequantized: the same accuracy as the float-I/O export.
  assert _candidate_accuracy(int8) > 0.9
  assert abs(_candidate_accuracy(int8) -
             _candidate_accuracy(float_io)) <= 0.005


def test_user_eval_config_value_and_change_thresholds(trained_pipeline,
                                                      float_tflite, workdir):
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
    runs[lower] = _evaluate(
        trained_pipeline, float_tflite, str(workdir / f"user_{lower}"),
        CompressionEvaluatorConfig(eval_config=eval_config, benchmark=FAST))
  ok, strict = runs[0.9], runs[0.999]
  assert ok.report["verdict"] == "BLESSED", ok.report["checks"]
  assert {f"{ACCURACY}[Overall]", f"{ACCURACY}[Overall]:value"} <= set(
      ok.checks)
  assert strict.failed == [f"{ACCURACY}[Overall]:value"]
  assert "outside its bounds" in strict.checks[f"{ACCURACY}[Overall]:value"][
      "reason"]
  # The key figures are on the evaluation for every candidate alike.
  evaluation = ok.evaluation
  assert evaluation.get_string_custom_property("verdict") == "BLESSED"
  assert evaluation.get_float_custom_property(f"metric_{ACCURACY}") > 0.9
  assert evaluation.get_float_custom_property("size_bytes") > 10_000


def test_second_baseline_is_checked_too(trained_pipeline, float_tflite,
                                        workdir):
  from tfx.types import standard_artifacts  # pylint: disable=g-import-not-at-top
  evaluation = standard_artifacts.ModelEvaluation()
  evaluation.uri = str(workdir / "second" / "evaluation")
  blessing = standard_artifacts.ModelBlessing()
  blessing.uri = str(workdir / "second" / "blessing")
  blessed = model_artifact(trained_pipeline.model.uri)
  blessed.id = 11
  executor.Executor().Do(
      {"examples": [trained_pipeline.examples], "model": [float_tflite],
       "baseline_model": [trained_pipeline.model],
       "blessed_baseline_model": [blessed]},
      {"evaluation": [evaluation], "blessing": [blessing]},
      {"evaluator_config": CompressionEvaluatorConfig(
          budgets=Budgets(min_size_ratio=0.9, min_latency_ratio=0.5),
          benchmark=FAST).to_json()})
  run = Run(evaluation, blessing)
  assert run.report["baselines"] == ["baseline", "blessed_baseline"]
  assert run.report["verdict"] == "BLESSED", run.failed
  assert {f"{ACCURACY}[Overall]@blessed_baseline",
          "size_ratio@blessed_baseline",
          "latency_ratio@blessed_baseline"} <= set(run.checks)
  assert set(run.report["ratios"]) == {"baseline", "blessed_baseline"}


def test_blessing_keys_are_the_stock_evaluators():
  from tfx.components.evaluator import constants  # pylint: disable=g-import-not-at-top
  assert executor.PROP_BLESSED == constants.ARTIFACT_PROPERTY_BLESSED_KEY
  assert executor.PROP_CURRENT_MODEL == (
      constants.ARTIFACT_PROPERTY_CURRENT_MODEL_URI_KEY)
  assert executor.PROP_BASELINE_MODEL == (
      constants.ARTIFACT_PROPERTY_BASELINE_MODEL_URI_KEY)
  assert executor.PROP_BASELINE_MODEL_ID == (
      constants.ARTIFACT_PROPERTY_BASELINE_MODEL_ID_KEY)
  assert executor.PROP_BLESSING_MESSAGE == (
      constants.ARTIFACT_PROPERTY_BLESSING_MESSAGE_KEY)
  # Deliberately another name than the stock current_model_id (see the
  # executor): TFX's LatestBlessedModelStrategy pairs models by it.
  assert executor.PROP_CANDIDATE_MODEL_ID != (
      constants.ARTIFACT_PROPERTY_CURRENT_MODEL_ID_KEY)
  assert (constants.BLESSED_FILE_NAME, constants.NOT_BLESSED_FILE_NAME) == (
      executor.spec.VERDICT_BLESSED, executor.spec.VERDICT_NOT_BLESSED)
