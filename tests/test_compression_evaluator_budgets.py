"""Executor-level tests: CompressionEvaluator's size, latency and memory budgets.

Absolute budgets and ratios against each baseline, the blessed one included.
"""

import os

import pytest

from evaluator_runs import ACCURACY
from evaluator_runs import evaluate
from evaluator_runs import FAST
from model_factories import model_artifact
from tfx_compression.framework import properties
from tfx_compression.compression_evaluator import checks
from tfx_compression.compression_evaluator import spec
from tfx_compression.compression_evaluator.config import Benchmark
from tfx_compression.compression_evaluator.config import Budgets
from tfx_compression.compression_evaluator.config import CompressionEvaluatorConfig


@pytest.fixture(scope="module")
def tight_budgets_run(trained_pipeline, float_tflite, tmp_path_factory):
  config = CompressionEvaluatorConfig(
      budgets=Budgets(max_size_bytes=20_000, max_latency_ms=0.001,
                      max_peak_memory_bytes=1_000_000),
      benchmark=Benchmark(warmup_runs=2, runs=20, batch_size=8))
  return evaluate(trained_pipeline, float_tflite,
                  str(tmp_path_factory.mktemp("tight")), config)


@pytest.mark.parametrize("name, limit", [
    (checks.SIZE_BYTES, 20_000),
    (checks.LATENCY_MS, 0.001),
    (checks.PEAK_MEMORY, 1_000_000),
])
def test_each_budget_failure_is_named(tight_budgets_run, name, limit):
  run = tight_budgets_run
  assert run.report["verdict"] == "NOT_BLESSED"
  assert os.listdir(run.blessing.uri) == [properties.VERDICT_NOT_BLESSED]
  assert run.blessing.get_int_custom_property("blessed") == 0
  assert name in run.failed
  check = run.checks[name]
  assert check["threshold"] == limit and check["value"] > limit
  assert "exceeds the budget" in check["reason"]
  # Accuracy itself was fine: only the budgets failed.
  assert run.checks[f"{ACCURACY}[Overall]"]["passed"]
  assert sorted(run.failed) == sorted(
      [checks.SIZE_BYTES, checks.LATENCY_MS, checks.PEAK_MEMORY])


def test_second_baseline_is_checked_too(trained_pipeline, float_tflite,
                                        tmp_path):
  blessed = model_artifact(trained_pipeline.model.uri)
  blessed.id = 11
  run = evaluate(trained_pipeline, float_tflite, str(tmp_path),
                 CompressionEvaluatorConfig(
                     budgets=Budgets(min_size_ratio=0.9, min_latency_ratio=0.5),
                     benchmark=FAST),
                 inputs={spec.BLESSED_BASELINE_MODEL_KEY: blessed})
  assert run.report["baselines"] == ["baseline", "blessed_baseline"]
  assert run.report["verdict"] == "BLESSED", run.failed
  assert {f"{ACCURACY}[Overall]@blessed_baseline",
          "size_ratio@blessed_baseline",
          "latency_ratio@blessed_baseline"} <= set(run.checks)
  assert set(run.report["ratios"]) == {"baseline", "blessed_baseline"}
