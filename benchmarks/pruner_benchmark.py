"""Pruner on the digits CNN: the component vs a hand-written tfmot script.

Measures, in one process and on the same data and trained model:
  * per-layer sparsity, eval accuracy before/after and float-TFLite gzip size
    ratio for the seeds' schedules (constant 50 %; polynomial 0.5 -> 0.8),
    first and last layers kept dense;
  * wall time of the Pruner executor vs a plain tfmot script doing the same
    work (load, prune, fine-tune, strip, save), alternated to share warm-up.

Usage: uv run python benchmarks/pruner_benchmark.py [--out benchmarks/results]
"""

import argparse
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

import bench_pipeline  # pylint: disable=g-import-not-at-top,wrong-import-position

EPOCHS, FREQUENCY, BATCH = 4, 10, 32
SCHEDULES = {"constant_50": ("constant", 0.5), "polynomial_50_80": ("poly", 0.8)}


def _trained(workdir):
  """Runs ImportExampleGen -> Trainer; returns (Examples, Model) artifacts."""
  return bench_pipeline.trained(workdir)


def _config(kind, final):
  from tfx_compression.pruner import config as c
  schedule = (c.ConstantSparsity(final, frequency=FREQUENCY) if kind == "constant"
              else c.PolynomialDecay(0.5, final, frequency=FREQUENCY))
  return c.PrunerConfig(schedule=schedule,
                        selection=c.LayerSelection(keep_first_and_last=True),
                        fine_tuning=c.FineTuning(epochs=EPOCHS, batch_size=BATCH))


def run_component(examples, model, config, out):
  from tfx.types import standard_artifacts
  from tfx_compression.pruner import executor
  pruned, run = standard_artifacts.Model(), standard_artifacts.ModelRun()
  pruned.uri, run.uri = os.path.join(out, "model"), os.path.join(out, "run")
  executor.Executor().Do({"examples": [examples], "model": [model]},
                         {"pruned_model": [pruned], "model_run": [run]},
                         {"pruner_config": config.to_json()})
  return json.load(open(os.path.join(pruned.uri, "report.json")))


def run_script(examples_uri, model_dir, final, kind, out):
  """What a user writes by hand with tfmot (seed 000's recipe)."""
  import glob
  import math
  import tensorflow as tf
  import tensorflow_model_optimization as tfmot
  import tf_keras as keras
  files = lambda s: sorted(glob.glob(os.path.join(examples_uri, f"Split-{s}", "*")))
  spec = {"image": tf.io.FixedLenFeature([64], tf.float32),
          "label": tf.io.FixedLenFeature([], tf.int64)}
  def dataset(split, shuffle):
    ds = tf.data.TFRecordDataset(files(split), compression_type="GZIP")
    ds = ds.shuffle(10000) if shuffle else ds
    return ds.batch(BATCH).map(lambda s: tf.io.parse_example(s, spec)).map(
        lambda f: ({"image": f["image"]}, f["label"]))
  n = sum(1 for _ in tf.data.TFRecordDataset(files("train"), compression_type="GZIP"))
  steps = math.ceil(n / BATCH)
  end = (EPOCHS * steps - 1) // FREQUENCY * FREQUENCY
  model = keras.models.load_model(model_dir)
  schedule = (tfmot.sparsity.keras.ConstantSparsity(final, 0, end, FREQUENCY)
              if kind == "constant" else tfmot.sparsity.keras.PolynomialDecay(
                  0.5, final, 0, end, frequency=FREQUENCY))
  keep = {"conv1", "probabilities"}
  pruned = keras.models.clone_model(model, clone_function=lambda l: l if (
      l.name in keep or not l.weights) else tfmot.sparsity.keras.prune_low_magnitude(
          l, pruning_schedule=schedule))
  for layer in pruned.layers:
    if layer.name in keep:
      layer.trainable = False
  pruned.compile(keras.optimizers.Adam(2e-3), "sparse_categorical_crossentropy",
                 ["accuracy"])
  pruned.fit(dataset("train", True).repeat(), epochs=EPOCHS, steps_per_epoch=steps,
             callbacks=[tfmot.sparsity.keras.UpdatePruningStep()], verbose=0)
  stripped = tfmot.sparsity.keras.strip_pruning(pruned)
  stripped.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
  accuracy = stripped.evaluate(dataset("eval", False), verbose=0, return_dict=True)
  stripped.save(out, save_format="tf")
  return accuracy["accuracy"]


def _float_tflite_gzip(model_dir):
  from tfx_compression.lib.keras import saved_model_io
  from tfx_compression.lib.conversion import tflite_converter
  from tfx_compression.lib.tflite import inspection
  data = tflite_converter.convert_keras(saved_model_io.load_keras_model(model_dir))
  return inspection.compressed_size(data)


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__)
  parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__),
                                                    "results"))
  parser.add_argument("--repeats", type=int, default=2)
  args = parser.parse_args(argv)
  from tfx_compression.framework import artifact_io
  from tfx_compression.lib.keras import tf_setup
  tf_setup.skip_autograph_for_keras()
  work = tempfile.mkdtemp(prefix="pruner_bench_")
  examples, model = _trained(work)
  source = artifact_io.serving_dir(model.uri)
  baseline_gzip = _float_tflite_gzip(source)
  result = {"machine": f"{os.cpu_count()} cores", "epochs": EPOCHS,
            "frequency": FREQUENCY, "schedules": {}}
  for name, (kind, final) in SCHEDULES.items():
    config = _config(kind, final)
    times = {"component": [], "script": []}
    for i in range(args.repeats):
      for who in ("script", "component") if i % 2 == 0 else ("component", "script"):
        out = os.path.join(work, f"{name}_{who}_{i}")
        t = time.perf_counter()
        if who == "component":
          report = run_component(examples, model, config, out)
        else:
          script_accuracy = run_script(examples.uri, source, final, kind, out)
        times[who].append(time.perf_counter() - t)
    pruned_dir = os.path.join(work, f"{name}_component_0", "model", "Format-Serving")
    gzip = _float_tflite_gzip(pruned_dir)
    result["schedules"][name] = {
        "target_sparsity": final,
        "layers": {l["name"]: round(l["sparsity"], 4) for l in report["layers"]},
        "accuracy_before": report["eval_before"]["accuracy"],
        "accuracy_after": report["eval_after"]["accuracy"],
        "script_accuracy_after": script_accuracy,
        "float_tflite_gzip_bytes": gzip,
        "gzip_ratio_vs_unpruned": baseline_gzip / gzip,
        "component_seconds": times["component"],
        "script_seconds": times["script"],
        "wall_time_ratio": statistics.median(times["component"]) /
                           statistics.median(times["script"]),
    }
  os.makedirs(args.out, exist_ok=True)
  with open(os.path.join(args.out, "pruner.json"), "w") as f:
    json.dump(result, f, indent=2)
  lines = ["| schedule | layer sparsity (conv1, conv2, dense1, probabilities) | "
           "accuracy before -> after (script) | float TFLite gzip ratio | "
           "component / script wall time |", "|---|---|---|---|---|"]
  for name, r in result["schedules"].items():
    lines.append(
        f"| {name} | {', '.join(f'{v:.3f}' for v in r['layers'].values())} | "
        f"{r['accuracy_before']:.4f} -> {r['accuracy_after']:.4f} "
        f"({r['script_accuracy_after']:.4f}) | {r['gzip_ratio_vs_unpruned']:.2f}x | "
        f"{statistics.median(r['component_seconds']):.1f} s / "
        f"{statistics.median(r['script_seconds']):.1f} s = {r['wall_time_ratio']:.2f}x |")
  table = "\n".join(lines)
  import measure  # pylint: disable=g-import-not-at-top
  measure.write_results(args.out, "pruner", table)
  print(table)
  return 0


if __name__ == "__main__":
  sys.exit(main())
