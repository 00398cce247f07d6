"""CompressionEvaluator on binary and regression models: judged by their task's
metrics, so that a broken candidate is refused (the gate can fail)."""

import pytest

import evaluator_runs
import executor_harness
import task_models
from model_factories import tflite_model_artifact
from tfx_compression.framework import spec_channels
from tfx_compression.framework import properties
from tfx_compression.compression_evaluator import spec
from tfx_compression.compression_evaluator.config import CompressionEvaluatorConfig
from tfx_compression.compression_evaluator.config import MetricThreshold
from tfx_compression.errors import CompressionConfigError

FAST = evaluator_runs.FAST


def _tflite(model, uri):
  from tfx_compression.lib.conversion import validated_conversion  # pylint: disable=g-import-not-at-top
  return tflite_model_artifact(
      uri, validated_conversion.convert_validated(model, None).model_bytes)


def _evaluate(case, candidate_model, out, **config):
  candidate = _tflite(candidate_model, str(out / "candidate"))
  candidate.id = evaluator_runs.CANDIDATE_ID
  outputs = executor_harness.run(
      "CompressionEvaluator",
      {spec_channels.EXAMPLES_KEY: case.examples, spec_channels.MODEL_KEY: candidate,
       spec.BASELINE_MODEL_KEY: case.artifact},
      str(out / "run"), CompressionEvaluatorConfig(benchmark=FAST, **config))
  return evaluator_runs.Run(outputs)


def _page(run):
  import os  # pylint: disable=g-import-not-at-top
  (name,) = [f for f in os.listdir(run.evaluation.uri) if f.endswith(".html")]
  return open(os.path.join(run.evaluation.uri, name)).read()


def _row(run, metric):
  return evaluator_runs.overall(run.report, metric)


def test_binary_sigmoid_is_judged_by_auc_and_an_inverted_candidate_refused(
    sigmoid, tmp_path):
  same = _evaluate(sigmoid, sigmoid.model, tmp_path / "same")
  assert same.report["task"]["task"] == "binary"
  assert same.report["verdict"] == "BLESSED", same.failed
  auc = _row(same, "auc")
  assert 0.8 < auc["baseline"] == pytest.approx(auc["candidate"], abs=1e-3)
  # The report's binary view: ROC (its rank AUC agrees with TFMA's) and
  # calibration, no confusion matrix.
  view = same.report["task_view"]
  assert view["roc"]["baseline"]["auc"] == pytest.approx(auc["baseline"],
                                                         abs=2e-3)
  assert sum(view["calibration"]["candidate"]["examples"]) == view["examples"]
  assert same.report["per_class"] is None
  page = _page(same)
  assert "ROC curve" in page and "Calibration" in page
  inverted = _evaluate(sigmoid, task_models.edited_copy(sigmoid.model, -1.0),
                       tmp_path / "inverted")
  assert inverted.report["verdict"] == "NOT_BLESSED"
  # The gated metric sees the predictions: inverting them moves AUC to
  # 1 - AUC and accuracy far below the baseline's.
  flipped = _row(inverted, "auc")
  assert flipped["candidate"] == pytest.approx(1 - auc["baseline"], abs=0.01)
  assert not flipped["passed"]
  # Each change comes with its paired interval, shown on the page.
  intervals = {i["metric"]: i for i in inverted.report["uncertainty"]}
  assert set(intervals) == {"auc", "binary_accuracy"}
  assert intervals["auc"]["high"] < -intervals["auc"]["allowed"]
  assert intervals["auc"]["low"] <= flipped["diff"] <= intervals["auc"]["high"]
  assert "paired bootstrap" in _page(inverted)
  assert (_row(inverted, "binary_accuracy")["candidate"] <
          _row(same, "binary_accuracy")["candidate"] - 0.3)
  assert inverted.evaluation.get_string_custom_property(
      properties.TASK) == "binary"


def test_binary_logit_is_scored_as_a_probability_and_random_refused(
    logit, tmp_path):
  random = _evaluate(logit, task_models.edited_copy(logit.model, seed=3),
                     tmp_path / "random")
  assert random.report["task"] == {
      "task": "binary", "width": 1, "scores": "logits",
      "reason": "the compiled loss is binary (logits)"}
  # Scored as sigmoid(logit): the trained baseline's accuracy at 0.5 is real.
  assert _row(random, "binary_accuracy")["baseline"] > 0.75
  assert random.report["verdict"] == "NOT_BLESSED"
  assert not _row(random, "auc")["passed"]


def test_regression_is_judged_by_relative_error_growth(regression, tmp_path):
  same = _evaluate(regression, regression.model, tmp_path / "same")
  assert same.report["task"]["task"] == "regression"
  assert same.report["verdict"] == "BLESSED", same.failed
  assert same.report["per_class"] is None
  residuals = same.report["task_view"]["residuals"]["baseline"]
  mse = _row(same, "mean_squared_error")["baseline"]
  assert residuals["mean_absolute"] == pytest.approx(
      _row(same, "mean_absolute_error")["baseline"], rel=1e-3)
  assert "Predicted vs actual" in _page(same)
  # Shifting every prediction by sqrt(MSE) doubles the error.
  doubled = _evaluate(regression, task_models.edited_copy(
      regression.model, shift=float(mse) ** 0.5), tmp_path / "doubled")
  assert doubled.report["verdict"] == "NOT_BLESSED"
  row = _row(doubled, "mean_squared_error")
  assert row["candidate"] == pytest.approx(2 * mse, rel=0.15)
  assert not row["passed"]


def test_class_metrics_on_a_regression_model_are_refused(regression, tmp_path):
  run = _evaluate(regression, regression.model, tmp_path / "acc",
                  metrics=(MetricThreshold("BinaryAccuracy"),))
  assert run.report["verdict"] == "NOT_BLESSED"
  assert "judges classes, but the model is a regression model" in (
      run.report["error"])


def test_argmax_accuracy_on_one_column_is_refused(sigmoid, tmp_path):
  run = _evaluate(sigmoid, sigmoid.model, tmp_path / "argmax",
                  metrics=(MetricThreshold("SparseCategoricalAccuracy"),))
  assert run.report["verdict"] == "NOT_BLESSED"
  assert "whose argmax is always 0" in run.report["error"]


def test_explicit_multiclass_task_on_one_column_is_refused(sigmoid, tmp_path):
  run = _evaluate(sigmoid, sigmoid.model, tmp_path / "multi",
                  task="multiclass")
  assert "its argmax is always 0" in run.report["error"]


def test_default_metrics_follow_the_task():
  from tfx_compression.compression_evaluator.config import default_metrics  # pylint: disable=g-import-not-at-top
  names = lambda task: [(m.name, m.direction.value, m.relative)
                        for m in default_metrics(task)]
  assert names("multiclass") == [
      ("sparse_categorical_accuracy", "higher_is_better", False)]
  assert names("binary") == [("auc", "higher_is_better", False),
                             ("binary_accuracy", "higher_is_better", False)]
  assert names("regression") == [
      ("mean_squared_error", "lower_is_better", True),
      ("mean_absolute_error", "lower_is_better", True)]
  with pytest.raises(CompressionConfigError, match="task must be one of"):
    CompressionEvaluatorConfig(task="ranking")
