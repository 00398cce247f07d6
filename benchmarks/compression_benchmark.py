"""Every compression variant of one model, side by side, through the components.

One process, one trained model, one eval split:
  1. ImportExampleGen -> Trainer (LocalDagRunner) trains a MobileNetV2
     (alpha 0.35, random init) on scikit-learn's digits upsampled to 32x32;
  2. the components' executors make float TFLite, dynamic range, float16,
     PTQ int8 (Beam-sampled calibration), QAT int8, pruned 50 % / 80 % +
     pruning-preserving QAT int8, and 2:4 + PTQ int8;
  3. every variant is measured: accuracy, raw/gzip size, batch-1 latency
     (median, p90; 1 and 2 threads; XNNPACK), peak memory, all as ratios to
     the float TFLite model of the same run;
  4. the seeds' hand-written scripts (no TFX; PTQ calibrated on the first 100
     rows) do the same PTQ, QAT and prune + PQAT work, for accuracy, size and
     wall time;
  5. ResNet-50 at 224x224 (random weights): size and latency only
     (`fullsize.py`, which also does MobileNetV2 at 224x224).
Writes compression.md / .json / .svg (and fullsize.*) to --out.

Usage: uv run python benchmarks/compression_benchmark.py [--quick] [--out DIR]
`--quick` (the digits CNN, 1-2 epochs, few latency runs, no full-size run)
checks the whole path in a few minutes; the test suite runs it.
"""

import argparse
import dataclasses
import json
import os
import platform
import sys
import tempfile
import time

# The package sets TF_USE_LEGACY_KERAS=1 before TensorFlow loads.
import tfx_compression  # pylint: disable=unused-import
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# pylint: disable=g-import-not-at-top,wrong-import-position
import bench_pipeline
import benchmark_report
import measure
import seed_scripts
import variants

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


@dataclasses.dataclass(frozen=True)
class Settings:
  """How much work the run does."""

  architecture: str = "mobilenet_v2"
  train_epochs: int = 16
  # A MobileNetV2 epoch on digits costs ~5 s after tracing: most of a run's
  # time goes to loading, tracing and converting.
  prune50_epochs: int = 6
  prune80_epochs: int = 16
  prune80_ramp_epochs: int = 10  # sparsity reaches 80 % here, then recovers
  m_by_n_epochs: int = 6
  qat_epochs: int = 5  # with 3, PQAT of the 80 % model fails validation
  frequency: int = 10
  latency_runs: int = 300
  latency_rounds: int = 3
  threads: tuple = (1, 2)
  fullsize: bool = True
  fullsize_archs: tuple = ("resnet50",)  # the seed's; fullsize.py does more
  fullsize_runs: int = 10
  prune_learning_rate: float = 5e-4
  qat_learning_rate: float = 1e-4


QUICK = Settings(architecture="cnn", train_epochs=2, prune50_epochs=1,
                 prune80_epochs=2, prune80_ramp_epochs=1, m_by_n_epochs=1,
                 qat_epochs=1, latency_runs=20, latency_rounds=1,
                 fullsize=False)


def _machine() -> str:
  cpu = platform.processor() or platform.machine()
  try:
    with open("/proc/cpuinfo") as f:
      cpu = next(l.split(":", 1)[1].strip() for l in f
                 if l.startswith("model name"))
  except (OSError, StopIteration):
    pass
  return f"{cpu}, {os.cpu_count()} cores, {platform.system()}"


def _warm_up():
  """Imports what the first component would otherwise pay for in its time."""
  import apache_beam  # pylint: disable=unused-import
  import tensorflow_model_optimization  # pylint: disable=unused-import
  from tfx_compression.lib.keras import tf_setup
  tf_setup.skip_autograph_for_keras()


def _end_step(epochs, steps_per_epoch, frequency):
  return (epochs * steps_per_epoch) // frequency * frequency


def _configs(s: Settings, steps_per_epoch: int) -> dict:
  """The component configurations (and the numbers the scripts copy)."""
  from tfx_compression.lite_converter.config import LiteConverterConfig
  from tfx_compression.post_training_quantizer.config import PostTrainingQuantizerConfig as Ptq
  from tfx_compression.pruner import config as p
  from tfx_compression.quantization_aware_trainer.config import QatConfig
  keep = p.LayerSelection(keep_first_and_last=True)
  ramp_end = _end_step(s.prune80_ramp_epochs, steps_per_epoch, s.frequency)
  qat_tuning = p.FineTuning(epochs=s.qat_epochs,
                            learning_rate=s.qat_learning_rate)
  tuning = lambda epochs: p.FineTuning(epochs=epochs,
                                       learning_rate=s.prune_learning_rate)
  return {
      "float": LiteConverterConfig(),
      "dynamic_range": Ptq(mode="dynamic_range"),
      "float16": Ptq(mode="float16"),
      "int8": Ptq(mode="int8"),
      "qat": QatConfig(scheme="default_8bit", fine_tuning=qat_tuning),
      "pqat": QatConfig(scheme="prune_preserve", fine_tuning=qat_tuning),
      "prune50": p.PrunerConfig(
          schedule=p.ConstantSparsity(0.5, frequency=s.frequency),
          selection=keep, fine_tuning=tuning(s.prune50_epochs)),
      "prune80": p.PrunerConfig(
          schedule=p.PolynomialDecay(0.5, 0.8, end_step=ramp_end,
                                     frequency=s.frequency),
          selection=keep, fine_tuning=tuning(s.prune80_epochs)),
      "m_by_n": p.PrunerConfig(
          granularity="m_by_n", selection=keep,
          fine_tuning=tuning(s.m_by_n_epochs)),
  }


def run_components(runner, model, configs) -> dict:
  """All variants through the executors; returns {name: variants.Output}."""
  c = configs
  out = {"float TFLite": runner.lite("float", model, c["float"]),
         "dynamic range": runner.ptq("dynamic_range", model, c["dynamic_range"]),
         "float16": runner.ptq("float16", model, c["float16"]),
         "PTQ int8": runner.ptq("ptq_int8", model, c["int8"]),
         "QAT int8": runner.qat("qat_int8", model, c["qat"])}
  pruned50 = runner.prune("pruned_50", model, c["prune50"])
  out["pruned 50% + PQAT int8"] = runner.qat("pruned_50_pqat", pruned50.model,
                                             c["pqat"])
  pruned80 = runner.prune("pruned_80", model, c["prune80"])
  out["pruned 80% (float)"] = runner.lite("pruned_80_float", pruned80.model,
                                          c["float"])
  out["pruned 80% + PQAT int8"] = runner.qat("pruned_80_pqat", pruned80.model,
                                             c["pqat"])
  two_four = runner.prune("pruned_2by4", model, c["m_by_n"])
  out["2:4 + PTQ int8"] = runner.ptq("2by4_int8", two_four.model, c["int8"])
  out["_prune_seconds"] = {"pruned 80% + PQAT int8": pruned80.seconds,
                           "pruned 50% + PQAT int8": pruned50.seconds,
                           "2:4 + PTQ int8": two_four.seconds}
  return out


def run_scripts(examples, model_dir, s: Settings, steps_per_epoch, keep):
  """The seeds' recipes on the same work; returns {name: (bytes, seconds)}."""
  import tensorflow_model_optimization as tfmot
  ramp_end = _end_step(s.prune80_ramp_epochs, steps_per_epoch, s.frequency)
  source = seed_scripts.TfRecords(examples.uri, model_dir)
  work = {
      "PTQ int8": lambda: seed_scripts.ptq_int8(source),
      "QAT int8": lambda: seed_scripts.qat_int8(
          source, s.qat_epochs, s.qat_learning_rate),
      "pruned 80% + PQAT int8": lambda: seed_scripts.prune_pqat_int8(
          source, keep,
          tfmot.sparsity.keras.PolynomialDecay(0.5, 0.8, 0, ramp_end,
                                               frequency=s.frequency),
          s.prune80_epochs, s.prune_learning_rate, s.qat_epochs,
          s.qat_learning_rate),
  }
  results = {}
  for name, fn in work.items():
    start = time.perf_counter()
    data = fn()
    results[name] = (data, time.perf_counter() - start)
  return results


def _first_and_last_prunable(model_dir):
  """The layers the Pruner's `keep_first_and_last` keeps dense."""
  from tfx_compression.lib.keras import saved_model_io
  from tfx_compression.lib.sparsity import pruning
  from tfx_compression.fine_tuning.config import LayerSelection
  prunable = pruning.select_layers(saved_model_io.load_keras_model(model_dir),
                                   LayerSelection()).prunable
  return {prunable[0], prunable[-1]}


def run(s: Settings, out_dir: str, trained=None) -> dict:
  """Runs the benchmark and writes its files to `out_dir`.

  Args:
    s: How much work to do.
    out_dir: Results folder.
    trained: Optional (Examples, Model) artifacts of a digits Trainer run to
      reuse instead of training (the test suite passes its session fixture).

  Returns:
    The result dictionary written as JSON.
  """
  from tfx_compression.framework import artifact_io
  from tfx_compression.lib.data import examples_io
  from tfx_compression.lib.keras import saved_model_io
  started = time.perf_counter()
  work = tempfile.mkdtemp(prefix="compression_bench_")
  log = lambda msg: print(f"[{time.perf_counter() - started:7.1f} s] {msg}",
                          flush=True)
  if trained is None:
    log(f"training {s.architecture} ({s.train_epochs} epochs) in {work}")
    trained = bench_pipeline.trained(
        work, s.train_epochs, name="compression-bench",
        architecture=s.architecture)
  examples, model = trained
  train_seconds = time.perf_counter() - started
  _warm_up()
  model_dir = artifact_io.serving_dir(model.uri)
  keras_model = saved_model_io.load_keras_model(model_dir)
  inputs, labels = examples_io.read_labelled(
      artifact_io.split_files(examples, "eval"),
      saved_model_io.input_specs(keras_model), "label", 100_000)
  steps = seed_scripts.steps_per_epoch(examples.uri)
  configs = _configs(s, steps)
  log("components")
  outputs = run_components(variants.Runner(examples, work), model, configs)
  prune_seconds = outputs.pop("_prune_seconds")
  tflite = {name: o.tflite for name, o in outputs.items()}
  log("seed scripts")
  scripts = run_scripts(examples, model_dir, s, steps,
                        _first_and_last_prunable(model_dir))
  log("measuring")
  load_before_measuring = os.getloadavg()
  rows = measure.accuracy_and_size(tflite, inputs, labels)
  script_rows = measure.accuracy_and_size(
      {n: d for n, (d, _) in scripts.items()}, inputs, labels)
  latency = measure.latency(tflite, s.threads, s.latency_runs,
                            s.latency_rounds)
  memory = measure.peak_memory(tflite)
  for name, row in rows.items():
    row.update(latency=latency[name], memory=memory[name],
               component_seconds=outputs[name].seconds +
               prune_seconds.get(name, 0.0))
  for name, row in script_rows.items():
    row.update(script_seconds=scripts[name][1],
               component_seconds=rows[name]["component_seconds"])
  result = {
      "settings": dataclasses.asdict(s),
      "machine": _machine(),
      "architecture": keras_model.name,
      "params": keras_model.count_params(),
      "eval_examples": int(len(labels)),
      "train_seconds": train_seconds,
      "load_average_before_measuring": load_before_measuring,
      "variants": rows,
      "scripts": script_rows,
  }
  if s.fullsize:
    log("full-size architectures")
    import fullsize
    result["fullsize"] = fullsize.run(archs=s.fullsize_archs, runs=s.fullsize_runs,
                                       threads=s.threads)
  result["total_seconds"] = time.perf_counter() - started
  paths = benchmark_report.write(result, out_dir)
  log(f"wrote {', '.join(paths)}")
  return json.load(open(paths[1]))


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(
      description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--out", default=RESULTS)
  parser.add_argument("--quick", action="store_true")
  parser.add_argument("--no-fullsize", action="store_true")
  args = parser.parse_args(argv)
  s = QUICK if args.quick else Settings()
  if args.no_fullsize:
    s = dataclasses.replace(s, fullsize=False)
  run(s, args.out)
  print(open(os.path.join(args.out, "compression.md")).read())
  return 0


if __name__ == "__main__":
  sys.exit(main())
