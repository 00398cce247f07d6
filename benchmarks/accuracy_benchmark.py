"""Accuracy-preserving fine-tuning on real MNIST, each recipe with and without.

For the small CNN and MobileNetV2 (alpha 0.35, 28x28 padded to 32x32), both
trained here on 3,500 real MNIST digits (`mnist_data.py`) and evaluated on
1,500, this runs the fine-tuning recipes through the components' runners
(`pruner/runner.py`, `pruner/channel_runner.py`,
`quantization_aware_trainer/runner.py`) side by side:

  * QAT int8: tfmot's defaults (ranges from [-6, 6], BatchNorm trained) /
    + range calibration and frozen BatchNorm (MobileNetV2 also: calibration
    with BatchNorm trained) / + distillation;
  * 80 % magnitude pruning + pruning-preserving QAT int8: without /
    with distillation and range calibration;
  * channel pruning (50 % of every layer's channels) + fine-tuning: without /
    with distillation;
  * PTQ int8 (200 random training rows) and the seeds' hand-written scripts
    (no TFX, no distillation) as the anchor.

Every fine-tuned variant runs once per seed (data order, calibration sample,
new variables); accuracies are TFLite top-1 on the 1,500 eval digits,
reported as mean and spread (min..max) over the seeds, with the drop against
the float TFLite model paired per seed. Writes accuracy.md / .json.

Usage: uv run --group bench python benchmarks/accuracy_benchmark.py
           [--quick] [--arch cnn --arch mobilenet_v2] [--seeds 3]
       (--merge A/accuracy.json B/accuracy.json joins runs of one
       architecture each, e.g. run in parallel)
"""

import argparse
import dataclasses
import json
import os
import statistics
import sys
import tempfile
import time

# The package sets TF_USE_LEGACY_KERAS=1 before TensorFlow loads.
import tfx_compression  # pylint: disable=unused-import
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# pylint: disable=g-import-not-at-top,wrong-import-position
import accuracy_report
import measure
import mnist_data
import seed_scripts

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
BATCH = 32


@dataclasses.dataclass(frozen=True)
class Recipe:
  """Epochs and rates of one architecture's run."""

  train_epochs: int
  train_learning_rate: float
  qat_epochs: int
  prune_epochs: int
  pqat_epochs: int
  channel_epochs: int
  channel_ratio: float = 0.5
  prune_learning_rate: float = 5e-4
  qat_learning_rate: float = 1e-4
  latency_runs: int = 300
  latency_rounds: int = 3


RECIPES = {
    "cnn": Recipe(train_epochs=8, train_learning_rate=2e-3, qat_epochs=2,
                  prune_epochs=6, pqat_epochs=2, channel_epochs=4),
    "mobilenet_v2": Recipe(train_epochs=20, train_learning_rate=2e-3,
                           qat_epochs=2, prune_epochs=8, pqat_epochs=2,
                           channel_epochs=5),
}
QUICK = Recipe(train_epochs=1, train_learning_rate=2e-3, qat_epochs=1,
               prune_epochs=1, pqat_epochs=1, channel_epochs=1,
               latency_runs=20, latency_rounds=1)


def _compiled(model, learning_rate):
  import tf_keras as keras
  model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                loss="sparse_categorical_crossentropy", metrics=["accuracy"])
  return model


def _copy(model, learning_rate):
  """A fresh compiled copy (the runners consume the model they are given)."""
  import tf_keras as keras
  clone = keras.models.clone_model(model)
  clone.set_weights(model.get_weights())
  return _compiled(clone, learning_rate)


def _train_base(arch, recipe, train, evaluation, seed):
  import tf_keras as keras
  keras.utils.set_random_seed(seed)
  model = _compiled(mnist_data.BUILDERS[arch](), recipe.train_learning_rate)
  drop = recipe.train_epochs - recipe.train_epochs // 4
  rate = recipe.train_learning_rate
  model.fit({"image": train[0]}, train[1], batch_size=BATCH,
            epochs=recipe.train_epochs, verbose=2,
            validation_data=({"image": evaluation[0]}, evaluation[1]),
            callbacks=[keras.callbacks.LearningRateScheduler(
                lambda epoch, _: rate if epoch < drop else rate / 10)])
  return model


def _data(train, evaluation, seed):
  import tensorflow as tf
  from tfx_compression.fine_tuning import data as tuning_data
  images, labels = train
  ds = tf.data.Dataset.from_tensor_slices(({"image": images}, labels))
  ds = ds.shuffle(len(labels), seed=seed, reshuffle_each_iteration=True)
  ds = ds.repeat().batch(BATCH, drop_remainder=True).prefetch(2)
  eval_ds = tf.data.Dataset.from_tensor_slices(
      ({"image": evaluation[0]}, evaluation[1])).batch(256)
  return tuning_data.TrainingData(
      train=ds, eval=eval_ds, steps_per_epoch=-(-len(labels) // BATCH),
      source="mnist arrays")


class Variants:
  """Runs recipes on copies of one trained model; collects TFLite results."""

  def __init__(self, base, recipe, data, train, evaluation, workdir, seed):
    self.base, self.recipe, self.data = base, recipe, data
    self.train = train
    self.inputs = {"image": evaluation[0]}
    self.labels = evaluation[1]
    self.workdir, self.seed = workdir, seed
    self.rows = {}

  def _log_dir(self, name):
    return os.path.join(self.workdir, f"{name}_{self.seed}")

  def _record(self, name, model_bytes, **extra):
    from tfx_compression.lib.quantization import qat
    from tfx_compression.lib.tflite import inspection
    from tfx_compression.lib.tflite.inference import accuracy as tflite_accuracy
    self.rows[name] = dict(
        accuracy=tflite_accuracy(model_bytes, self.inputs, self.labels),
        size_bytes=len(model_bytes),
        gzip_bytes=inspection.compressed_size(model_bytes),
        int8_kernel_sparsity=qat.int8_kernel_sparsity(model_bytes), **extra)
    self.rows[name]["_bytes"] = model_bytes
    print(f"  [{self.seed}] {name}: {self.rows[name]['accuracy']:.4f}",
          flush=True)

  def _float(self, model):
    from tfx_compression.lib.conversion import tflite_converter
    return tflite_converter.convert_keras(model)

  def float_and_ptq(self):
    import numpy as np
    from tfx_compression.lib.quantization import ptq_convert
    from tfx_compression.lib.options.quantization import QuantizationMode
    self._record("float TFLite", self._float(self.base))
    rows = np.random.RandomState(self.seed).choice(
        len(self.train[1]), 200, replace=False)
    ptq = ptq_convert.quantize(
        self.base, QuantizationMode.INT8,
        calibration_inputs={"image": self.train[0][rows]})
    self._record("PTQ int8", ptq.model_bytes)

  def qat(self, name, source, *, calibrate, batch_norm, alpha, scheme="auto"):
    from tfx_compression.quantization_aware_trainer import runner
    from tfx_compression.quantization_aware_trainer.config import QatConfig
    from tfx_compression.fine_tuning.config import FineTuning
    r = self.recipe
    config = QatConfig(scheme=scheme, calibrate_ranges=calibrate,
                       batch_norm=batch_norm, fine_tuning=FineTuning(
                           epochs=r.qat_epochs if scheme == "auto" else
                           r.pqat_epochs,
                           learning_rate=r.qat_learning_rate, alpha=alpha))
    result = runner.train(_copy(source, r.qat_learning_rate), config,
                          self.data, self._log_dir(name))
    converted = runner.to_tflite(result.qat_model, config.io_type,
                                 {k: v[:200] for k, v in self.inputs.items()},
                                 0.0)
    self._record(name, converted.model_bytes,
                 fit_seconds=result.fit_seconds,
                 keras_accuracy_at_0_epochs=result.eval_qat_start["accuracy"],
                 distillation=result.distillation.to_dict())

  def prune(self, name, *, alpha):
    from tfx_compression.pruner import runner
    from tfx_compression.pruner.config import PolynomialDecay, PrunerConfig
    from tfx_compression.fine_tuning.config import FineTuning, LayerSelection
    r = self.recipe
    config = PrunerConfig(
        schedule=PolynomialDecay(0.5, 0.8),
        selection=LayerSelection(keep_first_and_last=True),
        fine_tuning=FineTuning(epochs=r.prune_epochs,
                               learning_rate=r.prune_learning_rate,
                               alpha=alpha))
    result = runner.prune(_copy(self.base, r.prune_learning_rate), config,
                          self.data, self._log_dir(name))
    pruned = [l for l in result.layers if l.pruned]
    sparsity = sum(l.zeros for l in pruned) / sum(l.params for l in pruned)
    self._record(name, self._float(result.stripped_model),
                 fit_seconds=result.fit_seconds, pruned_sparsity=sparsity,
                 distillation=result.distillation.to_dict())
    return result.stripped_model

  def channels(self, name, *, alpha):
    from tfx_compression.pruner import channel_runner
    from tfx_compression.pruner.channel_config import ChannelPruning
    from tfx_compression.pruner.config import PrunerConfig
    from tfx_compression.fine_tuning.config import FineTuning
    r = self.recipe
    config = PrunerConfig(
        granularity="channel",
        channels=ChannelPruning(ratio=r.channel_ratio, latency_runs=20),
        fine_tuning=FineTuning(epochs=r.channel_epochs,
                               learning_rate=r.prune_learning_rate,
                               alpha=alpha))
    result = channel_runner.prune(_copy(self.base, r.prune_learning_rate),
                                  config, self.data, self._log_dir(name))
    self._record(name, self._float(result.model),
                 fit_seconds=result.fit_seconds,
                 flops_ratio=result.plan.flops_after / result.plan.flops_before,
                 distillation=result.distillation.to_dict())

  def scripts(self):
    import tensorflow_model_optimization as tfmot
    r = self.recipe
    source = seed_scripts.Arrays(self.train, lambda: _copy(self.base, 1e-3))
    steps = source.steps_per_epoch() * r.prune_epochs
    keep = {"conv1", "probabilities"} if "cnn" in self.base.name else {
        "Conv1", "probabilities"}
    work = {
        "script: PTQ int8": lambda: seed_scripts.ptq_int8(source),
        "script: QAT int8": lambda: seed_scripts.qat_int8(
            source, r.qat_epochs, r.qat_learning_rate),
        "script: pruned 80% + PQAT int8": lambda: seed_scripts.prune_pqat_int8(
            source, keep, tfmot.sparsity.keras.PolynomialDecay(
                0.5, 0.8, 0, int(steps * 0.7) // 10 * 10, frequency=10),
            r.prune_epochs, r.prune_learning_rate, r.pqat_epochs,
            r.qat_learning_rate),
    }
    for name, fn in work.items():
      start = time.perf_counter()
      data = fn()
      self._record(name, data, seconds=time.perf_counter() - start)


def run_seed(arch, recipe, base, train, evaluation, seed, workdir,
             with_scripts):
  """Every variant of one architecture for one seed: {name: row}."""
  import tf_keras as keras
  keras.utils.set_random_seed(seed)
  v = Variants(base, recipe, _data(train, evaluation, seed), train,
               evaluation, workdir, seed)
  v.float_and_ptq()
  v.qat("QAT int8: tfmot defaults", base, calibrate=False, batch_norm="train",
        alpha=1.0)
  if arch == "mobilenet_v2":
    v.qat("QAT int8: + range init (BatchNorm trained)", base, calibrate=True,
          batch_norm="train", alpha=1.0)
  v.qat("QAT int8: + range init, BatchNorm frozen", base, calibrate=True,
        batch_norm="freeze", alpha=1.0)
  v.qat("QAT int8: + range init + distillation", base, calibrate=True,
        batch_norm="freeze", alpha=None)
  pruned = v.prune("pruned 80% (float)", alpha=1.0)
  v.qat("pruned 80% + PQAT int8", pruned, calibrate=False, batch_norm="train",
        alpha=1.0, scheme="prune_preserve")
  pruned = v.prune("pruned 80% (float) + distillation", alpha=None)
  v.qat("pruned 80% + PQAT int8 + distillation + range init", pruned,
        calibrate=True, batch_norm="freeze", alpha=None,
        scheme="prune_preserve")
  v.channels(f"channels {int(recipe.channel_ratio * 100)}% (float)", alpha=1.0)
  v.channels(f"channels {int(recipe.channel_ratio * 100)}% (float) + "
             "distillation", alpha=None)
  if with_scripts:
    v.scripts()
  return v.rows


def _latency(rows_by_seed, recipe):
  """1-thread latency of seed 0's float and channel-pruned models."""
  first = rows_by_seed[0]
  chosen = {n: r["_bytes"] for n, r in first.items()
            if n == "float TFLite" or n.startswith("channels")}
  return {n: l[1] for n, l in measure.latency(
      chosen, (1,), recipe.latency_runs, recipe.latency_rounds).items()}


def summarize(rows_by_seed):
  """{variant: mean / min / max accuracy, drop vs float paired per seed, ...}."""
  out = {}
  for name in rows_by_seed[0]:
    runs = [rows[name] for rows in rows_by_seed]
    accuracy = [r["accuracy"] for r in runs]
    drops = [100 * (rows["float TFLite"]["accuracy"] - rows[name]["accuracy"])
             for rows in rows_by_seed]
    row = {"accuracy": accuracy, "accuracy_mean": statistics.mean(accuracy),
           "accuracy_min": min(accuracy), "accuracy_max": max(accuracy),
           "drop_pt_mean": statistics.mean(drops), "drop_pt_max": max(drops),
           "gzip_bytes": statistics.mean(r["gzip_bytes"] for r in runs),
           "size_bytes": statistics.mean(r["size_bytes"] for r in runs),
           "int8_kernel_sparsity": statistics.mean(
               r["int8_kernel_sparsity"] for r in runs)}
    for key in ("fit_seconds", "seconds", "keras_accuracy_at_0_epochs",
                "pruned_sparsity", "flops_ratio"):
      if key in runs[0]:
        row[key] = statistics.mean(r[key] for r in runs)
    if "distillation" in runs[0]:
      row["distillation"] = runs[0]["distillation"]
    out[name] = row
  return out


def run(archs, seeds, quick, out_dir, with_scripts=True) -> dict:
  started = time.perf_counter()
  from tfx_compression.lib.keras import tf_setup
  tf_setup.skip_autograph_for_keras()
  train, evaluation = mnist_data.splits()
  if quick:
    train = (train[0][:640], train[1][:640])
  result = {"train_examples": int(len(train[1])),
            "eval_examples": int(len(evaluation[1])), "seeds": seeds,
            "quick": quick, "architectures": {}}
  for arch in archs:
    recipe = QUICK if quick else RECIPES[arch]
    workdir = tempfile.mkdtemp(prefix=f"accuracy_bench_{arch}_")
    print(f"[{time.perf_counter() - started:7.1f} s] {arch}: training",
          flush=True)
    base = _train_base(arch, recipe, train, evaluation, 0)
    rows_by_seed = []
    for seed in range(seeds):
      print(f"[{time.perf_counter() - started:7.1f} s] {arch}: seed {seed}",
            flush=True)
      rows_by_seed.append(run_seed(arch, recipe, base, train, evaluation,
                                   seed, workdir, with_scripts and seed == 0))
    latency = _latency(rows_by_seed, recipe)
    for rows in rows_by_seed:
      for row in rows.values():
        row.pop("_bytes")
    result["architectures"][arch] = {
        "model": base.name, "params": base.count_params(),
        "recipe": dataclasses.asdict(recipe),
        "variants": summarize([{n: r for n, r in rows.items()
                                if not n.startswith("script")}
                               for rows in rows_by_seed]),
        "scripts": {n: r for n, r in rows_by_seed[0].items()
                    if n.startswith("script")},
        "latency_1_thread": latency,
    }
  result["total_seconds"] = time.perf_counter() - started
  return write(result, out_dir)


def write(result, out_dir: str) -> dict:
  """Adds the targets; writes accuracy.json and accuracy.md to `out_dir`."""
  result["targets"] = accuracy_report.targets(result)
  measure.write_results(out_dir, "accuracy", accuracy_report.markdown(result),
                        result)
  return result


def merge(paths, out_dir: str) -> dict:
  """Joins runs of single architectures (e.g. run in parallel) into one."""
  runs = [json.load(open(p)) for p in paths]
  result = dict(runs[0], architectures={}, total_seconds=max(
      r["total_seconds"] for r in runs))
  for r in runs:
    result["architectures"].update(r["architectures"])
  return write(result, out_dir)


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(
      description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--out", default=RESULTS)
  parser.add_argument("--quick", action="store_true")
  parser.add_argument("--arch", action="append", choices=list(RECIPES))
  parser.add_argument("--seeds", type=int, default=3)
  parser.add_argument("--merge", nargs="+", metavar="JSON",
                      help="join accuracy.json files of single architectures")
  args = parser.parse_args(argv)
  if args.merge:
    merge(args.merge, args.out)
  else:
    run(args.arch or list(RECIPES), args.seeds, args.quick, args.out)
  print(open(os.path.join(args.out, "accuracy.md")).read())
  return 0


if __name__ == "__main__":
  sys.exit(main())
