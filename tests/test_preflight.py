"""Preflight: the plan against the examples, before the Trainer trains."""

import pytest

from tfx_compression.compression_evaluator.config import CompressionEvaluatorConfig
from tfx_compression.errors import InputMismatchError
from tfx_compression.errors import InsufficientExamplesError
from tfx_compression.pipelines.compression import CompressionPlan
from tfx_compression.post_training_quantizer.config import PostTrainingQuantizerConfig
from tfx_compression.preflight import runner
from tfx_compression.preflight.config import PreflightConfig
from tfx_compression.preflight.config import requirements


def _plan(**ptq):
  return CompressionPlan(
      ptq_config=PostTrainingQuantizerConfig(**ptq),
      evaluator=CompressionEvaluatorConfig(label_key="target"))


def test_requirements_name_the_plan_keys_set_explicitly():
  config = requirements(_plan(num_calibration_examples=200,
                              calibration_splits=("train", "extra")))
  (size,) = config.sizes
  assert (size.plan_key, size.value, size.splits) == (
      "ptq_config.num_calibration_examples", 200, ("train", "extra"))
  (label,) = config.features
  assert (label.plan_key, label.feature, label.split) == (
      "evaluator.label_key", "target", "eval")
  # Defaults clamp to the split: nothing to check; no calibrated mode, no
  # calibration size to check.
  assert requirements(CompressionPlan()) == PreflightConfig()
  assert not requirements(CompressionPlan(
      ptq_modes=("dynamic_range",), ptq_config=PostTrainingQuantizerConfig(
          mode="dynamic_range", num_calibration_examples=5))).sizes
  assert PreflightConfig.from_dict(config.to_dict()) == config


def _check(config, counts, keys=("x", "target")):
  return runner.check(config, list(counts),
                      lambda split, limit: min(counts[split], limit),
                      lambda split: set(keys))


def test_a_sample_larger_than_the_split_is_refused_by_plan_key():
  config = requirements(_plan(num_calibration_examples=200))
  with pytest.raises(InsufficientExamplesError, match=(
      r"ptq_config.num_calibration_examples is 200, but the split\(s\) hold "
      r"'train' 142 examples: lower ptq_config.num_calibration_examples")):
    _check(config, {"train": 142, "eval": 36})
  assert "hold" in _check(config, {"train": 200, "eval": 36})


def test_a_missing_label_or_split_is_refused_by_plan_key():
  config = requirements(_plan())
  with pytest.raises(InputMismatchError, match=(
      r"evaluator.label_key is 'target', which split 'eval' does not have "
      r"\(features: \['x'\]\)")):
    _check(config, {"train": 10, "eval": 5}, keys=("x",))
  with pytest.raises(InputMismatchError, match=(
      r"evaluator.label_key reads split 'eval'; the examples have \['train'\]")):
    _check(config, {"train": 10})


def test_a_metric_class_tfma_does_not_know_is_refused_before_training():
  # pylint: disable=g-import-not-at-top
  from tfx_compression.compression_evaluator.config import MetricThreshold
  from tfx_compression.errors import CompressionConfigError
  from tfx_compression.preflight import executor
  # pylint: enable=g-import-not-at-top
  config = requirements(CompressionPlan(evaluator=CompressionEvaluatorConfig(
      metrics=(MetricThreshold("AUC", 0.01),
               MetricThreshold("AreaUnderCurve", 0.01,
                               direction="higher_is_better")))))
  assert [m.class_name for m in config.metrics] == ["AUC", "AreaUnderCurve"]
  with pytest.raises(CompressionConfigError, match=(
      r"evaluator.metrics\[1\].class_name is 'AreaUnderCurve', which is "
      r"neither a tfma.metrics nor a tf_keras.metrics class")):
    runner.check(config, ["train", "eval"], lambda s, n: n,
                 lambda s: set(),
                 executor._known_metric)  # pylint: disable=protected-access
