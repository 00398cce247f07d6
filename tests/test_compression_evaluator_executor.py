"""Executor-level tests: CompressionEvaluator blesses, reports, and fails closed.

On the session's real Trainer output. Each TFMA run costs several seconds,
so runs are module fixtures shared by the tests that assert on them; budgets,
accuracy thresholds and quantized candidates have their own
test_compression_evaluator_*.py files.
"""

import os

import numpy as np
import pytest

from evaluator_runs import ACCURACY
from evaluator_runs import CANDIDATE_ID
from evaluator_runs import evaluate
from evaluator_runs import FAST
from evaluator_runs import overall
from evaluator_runs import tflite_artifact
from model_factories import model_artifact
from model_factories import save_keras
from model_factories import small_cnn
from tfx_compression.framework import properties
from tfx_compression.compression_evaluator import checks
from tfx_compression.compression_evaluator import executor
from tfx_compression.compression_evaluator import spec
from tfx_compression.compression_evaluator.config import Budgets
from tfx_compression.compression_evaluator.config import CompressionEvaluatorConfig


@pytest.fixture(scope="module")
def blessed_run(trained_pipeline, float_tflite, tmp_path_factory):
  config = CompressionEvaluatorConfig(
      slices=(("label",),),
      budgets=Budgets(max_size_bytes=10**6, min_size_ratio=0.99,
                      max_latency_ms=50.0, max_peak_memory_bytes=2 * 10**9))
  return evaluate(trained_pipeline, float_tflite,
                  str(tmp_path_factory.mktemp("blessed")), config)


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
  check = run.checks[f"{ACCURACY}[Overall]"]
  assert check["passed"] and check["value"] == pytest.approx(0.0, abs=1e-6)
  assert check["threshold"] == -0.02
  metric = overall(run.report)
  assert metric["candidate"] > 0.9 and metric["num_examples"] > 300
  # Blessing: what the stock Evaluator writes, so Pusher and Cond accept it.
  blessing = run.blessing
  assert os.listdir(blessing.uri) == [properties.VERDICT_BLESSED]
  assert blessing.get_int_custom_property("blessed") == 1
  assert blessing.get_string_custom_property("current_model") == float_tflite.uri
  assert blessing.get_int_custom_property("candidate_model_id") == CANDIDATE_ID
  # Not `current_model_id`: a host pipeline's LatestBlessedModelStrategy
  # pairs models with blessings by it and would take this TFLite candidate.
  assert "current_model_id" not in blessing.mlmd_artifact.custom_properties
  assert (blessing.get_string_custom_property("baseline_model") ==
          trained_pipeline.model.uri)


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
  assert tfma["examples"] == int(overall(report)["num_examples"])
  assert cand["runs_as"].startswith("TFLite interpreter")
  assert base["runs_as"] == "serving_default on the serialized examples"
  files = os.listdir(uri)
  assert any(f.startswith("metrics") for f in files)
  assert os.listdir(os.path.join(uri, "predictions"))
  # The SavedModel baseline was converted to TFLite to be measured.
  assert os.path.isfile(os.path.join(uri, "converted", "baseline",
                                     "Format-Serving", "tflite"))
  page = open(os.path.join(uri, spec.REPORT_HTML_FILE)).read()
  assert page.count("<svg") >= 4 and "BLESSED" in page


def test_blessed_run_reports_each_class_from_the_predictions(blessed_run):
  report = blessed_run.report
  view = report["per_class"]
  assert view["label_key"] == "label" and view["classes"] == list(range(10))
  assert view["examples"] == int(overall(report)["num_examples"])
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
  page = open(os.path.join(blessed_run.evaluation.uri,
                           spec.REPORT_HTML_FILE)).read()
  assert "<h1>float_tflite: CompressionEvaluator report</h1>" in page
  assert "Candidate confusion matrix" in page
  assert "Per-layer quantization error" not in page


def test_blessing_keys_are_the_stock_evaluators():
  from tfx.components.evaluator import constants  # pylint: disable=g-import-not-at-top
  from tfx_compression.framework import blessing  # pylint: disable=g-import-not-at-top
  assert blessing.PROP_BLESSED == constants.ARTIFACT_PROPERTY_BLESSED_KEY
  assert blessing.PROP_CURRENT_MODEL == (
      constants.ARTIFACT_PROPERTY_CURRENT_MODEL_URI_KEY)
  assert blessing.PROP_BASELINE_MODEL == (
      constants.ARTIFACT_PROPERTY_BASELINE_MODEL_URI_KEY)
  assert blessing.PROP_BASELINE_MODEL_ID == (
      constants.ARTIFACT_PROPERTY_BASELINE_MODEL_ID_KEY)
  assert properties.BLESSING_MESSAGE == (
      constants.ARTIFACT_PROPERTY_BLESSING_MESSAGE_KEY)
  # Deliberately another name than the stock current_model_id (see
  # blessing.py): TFX's LatestBlessedModelStrategy pairs models by it.
  assert properties.CANDIDATE_MODEL_ID != (
      constants.ARTIFACT_PROPERTY_CURRENT_MODEL_ID_KEY)
  assert (constants.BLESSED_FILE_NAME, constants.NOT_BLESSED_FILE_NAME) == (
      properties.VERDICT_BLESSED, properties.VERDICT_NOT_BLESSED) == (
          properties.VERDICT_BLESSED, properties.VERDICT_NOT_BLESSED)
  # The evaluator's names of before stay importable.
  assert (executor.PROP_BLESSED, executor.PROP_BASELINE_MODEL_ID) == (
      blessing.PROP_BLESSED, blessing.PROP_BASELINE_MODEL_ID)


def test_unknown_slice_feature_makes_evaluation_incomplete(trained_pipeline,
                                                           float_tflite,
                                                           tmp_path):
  config = CompressionEvaluatorConfig(slices=(("colour",),), benchmark=FAST)
  run = evaluate(trained_pipeline, float_tflite, str(tmp_path), config)
  assert run.report["verdict"] == "NOT_BLESSED"
  assert run.failed == [checks.EVALUATION]
  assert "no example has feature(s) ['colour']" in (
      run.checks[checks.EVALUATION]["reason"])
  assert os.listdir(run.blessing.uri) == [properties.VERDICT_NOT_BLESSED]
  assert run.blessing.get_int_custom_property("blessed") == 0


def _assert_refused_before_tfma(run, message):
  assert run.report["verdict"] == "NOT_BLESSED"
  assert run.failed == [checks.EVALUATION]
  assert message in run.report["error"]
  assert message in run.checks[checks.EVALUATION]["reason"]
  assert os.listdir(run.blessing.uri) == [properties.VERDICT_NOT_BLESSED]
  assert run.blessing.get_int_custom_property("blessed") == 0
  assert not any(f.startswith("metrics")
                 for f in os.listdir(run.evaluation.uri))
  assert "Evaluation error" in open(
      os.path.join(run.evaluation.uri, spec.REPORT_HTML_FILE)).read()


def test_input_name_mismatch_is_refused(trained_pipeline, tmp_path):
  candidate = tflite_artifact(small_cnn(input_name="pixels"),
                              str(tmp_path / "pixels"))
  run = evaluate(trained_pipeline, candidate, str(tmp_path / "out"),
                 CompressionEvaluatorConfig())
  _assert_refused_before_tfma(
      run, "InputMismatchError: candidate TFLite input(s) ['pixels'] are "
      "neither features of the eval examples")


def test_saved_model_of_named_tensors_is_fed_features_by_name(
    trained_pipeline, tmp_path):
  # tf_keras model.save without a signature (TFX's penguin_simple): an
  # untrained model, judged (and failed) on the examples' 'image' feature.
  save_keras(small_cnn(), str(tmp_path / "dense" / "Format-Serving"))
  run = evaluate(trained_pipeline, model_artifact(str(tmp_path / "dense")),
                 str(tmp_path / "out"), CompressionEvaluatorConfig())
  assert run.report["candidate"]["runs_as"] == (
      "serving_default on features of the eval examples (by input name, as "
      "TFMA feeds a Keras model)")
  assert run.failed == ["sparse_categorical_accuracy[Overall]"]
  # An input no feature feeds is refused before TFMA runs.
  save_keras(small_cnn(input_name="pixels"),
             str(tmp_path / "pixels" / "Format-Serving"))
  run = evaluate(trained_pipeline, model_artifact(str(tmp_path / "pixels")),
                 str(tmp_path / "out2"), CompressionEvaluatorConfig())
  _assert_refused_before_tfma(
      run, "Model input(s) ['pixels'] are not features of the eval examples")


def test_unknown_prediction_key_is_refused(trained_pipeline, float_tflite,
                                           tmp_path):
  run = evaluate(trained_pipeline, float_tflite, str(tmp_path / "out"),
                 CompressionEvaluatorConfig(prediction_key="logits"))
  _assert_refused_before_tfma(
      run, "prediction_key 'logits' is not an output of the ['candidate', "
      "'baseline'] model(s)")


@pytest.mark.parametrize("make, message", [
    (lambda p: (p / "m" / "Format-Serving").mkdir(parents=True) or
     (p / "m" / "Format-Serving" / "tflite").write_bytes(b"not a flatbuffer"),
     "tflite is not a readable TFLite model: "),
    (lambda p: (p / "m").mkdir(), "has no Format-Serving directory"),
])
def test_evaluation_error_is_not_blessed(trained_pipeline, tmp_path, make,
                                         message):
  make(tmp_path)
  run = evaluate(trained_pipeline, model_artifact(str(tmp_path / "m")),
                 str(tmp_path / "out"), CompressionEvaluatorConfig())
  _assert_refused_before_tfma(run, message)
  assert run.report["error"].startswith("UnsupportedModelError: "), (
      run.report["error"])
  assert "Traceback" in run.report["traceback"]
