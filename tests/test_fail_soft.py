"""Candidates fail soft: a candidate that fails its own validation is
published as rejected, with its evidence, and judged NOT_BLESSED; the run
goes on. Invalid input still fails."""

import json
import os

import pytest

import executor_harness
from model_factories import flex_model
from model_factories import model_artifact
from tfx_compression.framework import spec_channels
from tfx_compression.framework import properties
from tfx_compression.framework import step_executor
from tfx_compression.compression_evaluator import spec as evaluator_spec
from tfx_compression.compression_evaluator.config import CompressionEvaluatorConfig
from tfx_compression.errors import InputMismatchError
from tfx_compression.errors import ModelValidationError
from tfx_compression.lite_converter import spec as lite_spec
from tfx_compression.lite_converter.config import LiteConverterConfig


class _Config:

  @classmethod
  def from_exec_properties(cls, unused_properties):
    return cls()


class _Step(step_executor.StepExecutor):
  """Writes evidence, then fails as `self.error` says."""

  COMPONENT = "Step"
  CONFIG = _Config
  error = ModelValidationError("agreement 0.750 < 0.9")
  calls = 0

  def _log_startup(self, *unused):
    pass

  def run(self, config, inputs, outputs):
    type(self).calls += 1
    with open(os.path.join(outputs["model"].uri, "layer_errors.csv"), "w") as f:
      f.write("normalization/truediv,186.0\n")
    raise self.error


def _do(step, tmp_path, source):
  out = model_artifact(str(tmp_path / "out"))
  os.makedirs(out.uri, exist_ok=True)
  step.Do({"model": [source]}, {"model": [out]}, {})
  return out


def test_a_candidate_failing_its_validation_is_published_rejected(tmp_path):
  out = _do(_Step(), tmp_path, model_artifact(str(tmp_path / "in")))
  assert out.get_int_custom_property(properties.REJECTED) == 1
  reason = out.get_string_custom_property(properties.REJECTION_REASON)
  assert reason == "ModelValidationError: agreement 0.750 < 0.9"
  assert step_executor.rejection(out) == reason
  # The evidence stays, and says what was kept.
  assert sorted(os.listdir(out.uri)) == ["layer_errors.csv", "rejection.json"]
  record = json.load(open(os.path.join(out.uri, "rejection.json")))
  assert record == {"component": "Step", "reason": reason,
                    "kept": ["layer_errors.csv"]}


def test_a_rejected_input_is_passed_on_without_work(tmp_path):
  source = model_artifact(str(tmp_path / "in"))
  source.set_int_custom_property(properties.REJECTED, 1)
  source.set_string_custom_property(properties.REJECTION_REASON, "too slow")
  _Step.calls = 0
  out = _do(_Step(), tmp_path, source)
  assert _Step.calls == 0
  assert step_executor.rejection(out) == (
      "its input 'model' was rejected: too slow")
  assert step_executor.rejection(source) == "too slow"
  assert step_executor.rejection(model_artifact("/x")) is None


def test_invalid_input_still_fails_and_publishes_nothing(tmp_path):
  step = _Step()
  step.error = InputMismatchError("the examples lack feature 'x'")
  with pytest.raises(InputMismatchError, match="lack feature"):
    _do(step, tmp_path, model_artifact(str(tmp_path / "in")))
  assert os.listdir(tmp_path / "out") == []


def test_a_judge_is_never_a_rejected_candidate(tmp_path):
  step = _Step()
  step.CANDIDATE = False
  with pytest.raises(ModelValidationError):
    _do(step, tmp_path, model_artifact(str(tmp_path / "in")))
  assert os.listdir(tmp_path / "out") == []


def test_a_failed_conversion_is_rejected_and_judged_not_blessed(
    trained_pipeline, tmp_path):
  """A real LiteConverter whose model cannot convert as asked; the
  evaluator downstream gives NOT_BLESSED with the reason, at once."""
  source = model_artifact(str(tmp_path / "flex"))
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  tf.saved_model.save(flex_model(), os.path.join(source.uri, "Format-Serving"))
  lite = executor_harness.run(
      "LiteConverter", {spec_channels.MODEL_KEY: source}, str(tmp_path / "lite"),
      LiteConverterConfig(op_set="builtins"))[lite_spec.TFLITE_MODEL_KEY]
  reason = step_executor.rejection(lite)
  assert reason and reason.startswith("ConversionError"), reason
  outputs = executor_harness.run("CompressionEvaluator", {
      spec_channels.MODEL_KEY: lite,
      evaluator_spec.BASELINE_MODEL_KEY: trained_pipeline.model,
      spec_channels.EXAMPLES_KEY: trained_pipeline.examples},
      str(tmp_path / "eval"), CompressionEvaluatorConfig())
  blessing = outputs[evaluator_spec.BLESSING_KEY]
  assert blessing.get_int_custom_property("blessed") == 0
  evaluation = outputs[evaluator_spec.EVALUATION_KEY]
  assert evaluation.get_string_custom_property(properties.EVAL_VERDICT) == (
      "NOT_BLESSED")
  assert step_executor.rejection(evaluation) == reason
  report = executor_harness.report(evaluation)
  assert reason in report["checks"][0]["reason"]
  assert os.path.exists(os.path.join(blessing.uri, "NOT_BLESSED"))
