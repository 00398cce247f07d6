"""The latency gate: noise cannot fail it, a slower model cannot pass it."""

import pytest

from tfx_compression.compression_evaluator import checks
from tfx_compression.compression_evaluator.config import Budgets
from tfx_compression.lib.tflite import benchmark


def _mlp_bytes(hidden: int) -> bytes:
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.conversion import tflite_converter  # pylint: disable=g-import-not-at-top
  keras.utils.set_random_seed(0)
  x = keras.Input((256,), name="x")
  h = keras.layers.Dense(hidden, activation="relu")(x)
  h = keras.layers.Dense(hidden, activation="relu")(h)
  return tflite_converter.convert_keras(keras.Model(x, keras.layers.Dense(10)(h)))


@pytest.fixture(scope="module")
def models():
  return {"small": _mlp_bytes(512), "large": _mlp_bytes(1536)}


def _gate(candidate, baseline):
  comparison = benchmark.compare_latency(candidate, baseline, runs=60,
                                                rounds=6, warmup_runs=5)
  (check,) = checks.budget_checks(
      Budgets(min_latency_ratio=1.0), 0.05, {"size_bytes": 1,
                                              "latency_median_us": 1},
      {"baseline": {"size_bytes": 1}},
      {"baseline": {"ratio": comparison.ratio,
                    "ratio_ci_low": comparison.ratio_ci_low,
                    "ratio_ci_high": comparison.ratio_ci_high,
                    "rounds": comparison.rounds}})
  return check, comparison


def test_a_model_compared_with_itself_passes_every_time(models):
  results = [_gate(models["small"], models["small"]) for _ in range(20)]
  ratios = [c.ratio for _, c in results]
  assert all(check.passed for check, _ in results), (
      [check.reason for check, _ in results if not check.passed])
  assert 0.8 < min(ratios) and max(ratios) < 1.25


def test_a_slower_candidate_fails(models):
  check, comparison = _gate(models["large"], models["small"])
  # 1536 hidden units do ~7x the multiply-adds of 512.
  assert comparison.ratio < 0.5 and not check.passed
  assert "below the minimum 1 even with 5% tolerance" in check.reason
