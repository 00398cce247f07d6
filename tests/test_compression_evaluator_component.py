"""CompressionEvaluator: component declaration, config validation, checks, HTML."""

import json

import pytest

from tfx_compression.compression_evaluator import checks
from tfx_compression.compression_evaluator import spec
from tfx_compression.compression_evaluator.config import Benchmark
from tfx_compression.compression_evaluator.config import Budgets
from tfx_compression.compression_evaluator.config import CompressionEvaluatorConfig
from tfx_compression.compression_evaluator.config import Direction
from tfx_compression.compression_evaluator.config import MetricThreshold
from tfx_compression.errors import CompressionConfigError


def _channels():
  from tfx import types  # pylint: disable=g-import-not-at-top
  from tfx.types import standard_artifacts  # pylint: disable=g-import-not-at-top
  return (types.Channel(type=standard_artifacts.Examples),
          types.Channel(type=standard_artifacts.Model),
          types.Channel(type=standard_artifacts.Model))


def test_component_outputs_and_exec_properties():
  from tfx_compression import CompressionEvaluator  # pylint: disable=g-import-not-at-top
  examples, model, baseline = _channels()
  config = CompressionEvaluatorConfig(
      slices=(("label",),), budgets=Budgets(max_size_bytes=1000))
  component = CompressionEvaluator(examples=examples, model=model,
                                   baseline_model=baseline, config=config)
  outputs = component.outputs
  assert outputs[spec.EVALUATION_KEY].type_name == "ModelEvaluation"
  assert outputs[spec.BLESSING_KEY].type_name == "ModelBlessing"
  props = component.exec_properties
  assert CompressionEvaluatorConfig.from_json(props[spec.CONFIG_KEY]) == config
  assert json.loads(props[spec.CONFIG_KEY])["budgets"]["max_size_bytes"] == 1000


def test_component_rejects_non_config():
  from tfx_compression import CompressionEvaluator  # pylint: disable=g-import-not-at-top
  examples, model, baseline = _channels()
  with pytest.raises(CompressionConfigError,
                     match="config must be a CompressionEvaluatorConfig; got dict"):
    CompressionEvaluator(examples=examples, model=model,
                         baseline_model=baseline, config={"label_key": "y"})


def test_defaults():
  config = CompressionEvaluatorConfig()
  # Empty: the task's defaults (test_compression_evaluator_tasks.py).
  assert config.metrics == () and config.task is None
  (metric,) = config.metrics_for("multiclass")
  assert (metric.name, metric.max_drop, metric.direction) == (
      "sparse_categorical_accuracy", 0.02, Direction.HIGHER_IS_BETTER)
  # None: derived from the baseline's serving signature and the examples.
  assert (config.label_key, config.prediction_key) == (None, None)
  assert config.benchmark.num_threads == 1


@pytest.mark.parametrize("build, message", [
    (lambda: Budgets(max_size_bytes=-1), r"budgets.max_size_bytes must be >= 0; got -1"),
    (lambda: Budgets(min_latency_ratio="fast"),
     r"budgets.min_latency_ratio must be a number; got 'fast'"),
    (lambda: Benchmark(runs=0), r"benchmark.runs must be >= 1; got 0"),
    (lambda: Benchmark(num_threads=0), r"benchmark.num_threads must be >= 1"),
    (lambda: MetricThreshold(max_drop=-0.1), r"metrics.max_drop must be >= 0.0"),
    (lambda: MetricThreshold(direction="up"),
     r"metrics.direction must be one of 'higher_is_better', 'lower_is_better'; got 'up'"),
    (lambda: MetricThreshold(class_name="accuracy"), r"CamelCase.*got 'accuracy'"),
    (lambda: CompressionEvaluatorConfig(label_key=""),
     r"label_key must be a non-empty string; got ''"),
    (lambda: CompressionEvaluatorConfig(metrics=("acc",)),
     r"metrics must be a sequence of MetricThreshold \(empty: the task's "
     r"defaults\); got \('acc',\)"),
    (lambda: MetricThreshold(class_name="Calibration"),
     r"metrics.direction of Calibration must be set"),
    (lambda: CompressionEvaluatorConfig(slices="label"), r"slices must be a sequence"),
    (lambda: CompressionEvaluatorConfig(slices=((),)), r"each slice must be"),
    (lambda: CompressionEvaluatorConfig(
        budgets=Budgets(max_peak_memory_bytes=10),
        benchmark=Benchmark(measure_memory=False)),
     r"max_peak_memory_bytes needs benchmark.measure_memory=True"),
    (lambda: CompressionEvaluatorConfig.from_dict({"budget": {}}),
     r"unknown CompressionEvaluator config field\(s\) \['budget'\]"),
    (lambda: CompressionEvaluatorConfig.from_dict({"budgets": {"max_size": 1}}),
     r"unknown budgets field\(s\) \['max_size'\]"),
])
def test_bad_config_names_field_and_value(build, message):
  with pytest.raises(CompressionConfigError, match=message):
    build()


def test_config_round_trips_through_json():
  config = CompressionEvaluatorConfig(
      metrics=(MetricThreshold(max_drop=0.01, max_slice_drop=0.1),
               MetricThreshold(class_name="MeanSquaredError", max_drop=0.5,
                               direction="lower_is_better")),
      slices=("label", ("a", "b")), budgets=Budgets(min_size_ratio=2),
      benchmark=Benchmark(runs=5, measure_memory=False))
  assert config.slices == (("label",), ("a", "b"))
  assert CompressionEvaluatorConfig.from_json(config.to_json()) == config
  assert config.metrics[1].name == "mean_squared_error"
  assert config.metrics[0].slice_drop == 0.1


def _figures(size, latency_us, memory):
  return {"size_bytes": size, "latency_median_us": latency_us,
          "peak_memory_bytes": memory}


def _comparison(ratio, low, high):
  return {"ratio": ratio, "ratio_ci_low": low, "ratio_ci_high": high,
          "rounds": 10}


def test_budget_checks_name_each_failure_with_figures():
  budgets = Budgets(max_size_bytes=1000, min_size_ratio=2.0, max_latency_ms=0.1,
                    min_latency_ratio=1.5, max_peak_memory_bytes=10**6)
  result = {c.name: c for c in checks.budget_checks(
      budgets, 0.05, _figures(1500, 200.0, 2 * 10**6),
      {"baseline": _figures(2000, 240.0, 0),
       "blessed_baseline": _figures(3000, 240.0, 0)},
      {"baseline": _comparison(1.2, 1.15, 1.25),
       "blessed_baseline": _comparison(1.6, 1.5, 1.7)})}
  assert [n for n, c in result.items() if c.passed] == [
      "size_ratio@blessed_baseline", "latency_ratio@blessed_baseline"]
  assert result[checks.SIZE_BYTES].value == 1500
  # Sizes read in KB/MB, never as raw byte counts.
  assert result[checks.SIZE_BYTES].reason == (
      "size 1.5 KB exceeds the budget 1000 B")
  assert result[checks.PEAK_MEMORY].reason == (
      "peak interpreter memory 1.91 MB exceeds the budget 976.6 KB")
  assert result[checks.SIZE_RATIO].value == pytest.approx(2000 / 1500)
  assert result[checks.LATENCY_MS].value == pytest.approx(0.2)
  assert result[checks.LATENCY_MS].threshold == 0.1
  assert result[checks.LATENCY_RATIO].value == pytest.approx(1.2)
  assert "below the minimum 1.5 even with 5% tolerance" in (
      result[checks.LATENCY_RATIO].reason)
  assert result[checks.PEAK_MEMORY].threshold == 10**6
  passing = checks.budget_checks(budgets, 0.05, _figures(500, 50.0, 10),
                                 {"baseline": _figures(2000, 100.0, 0)},
                                 {"baseline": _comparison(2.0, 1.9, 2.1)})
  assert [c.passed for c in passing] == [True] * 5
  assert checks.budget_checks(Budgets(), 0.05, _figures(1, 1.0, None),
                              {"baseline": _figures(1, 1.0, None)},
                              {"baseline": _comparison(1, 1, 1)}) == []


@pytest.mark.parametrize("ratio, low, high, passed", [
    (0.97, 0.93, 1.02, True),   # the same model: noise around 1
    (0.93, 0.90, 0.96, True),   # within the 5 % tolerance
    (0.5, 0.48, 0.52, False),   # twice as slow
])
def test_latency_ratio_gate_tolerates_noise_not_slowness(ratio, low, high,
                                                         passed):
  (check,) = checks.budget_checks(
      Budgets(min_latency_ratio=1.0), 0.05, _figures(1, 1.0, None),
      {"baseline": _figures(1, 1.0, None)},
      {"baseline": _comparison(ratio, low, high)})
  assert check.passed is passed
