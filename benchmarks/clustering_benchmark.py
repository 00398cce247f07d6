"""Weight clustering beside pruning on the digits CNN, side by side in one run.

Every variant goes through the components' executors on the same Trainer
model: float TFLite; pruned 80 % + pruning-preserving QAT int8;
clustered (16 and 8 clusters) + cluster-preserving QAT int8; clustered 16 +
plain QAT int8 (what the cluster-preserving scheme avoids). It prints and
writes accuracy (int8 TFLite on the eval split), size, gzip size, int8
kernel zeros and the most distinct values of any int8 kernel.

Usage: uv run python benchmarks/clustering_benchmark.py [--quick] [--out DIR]
(--quick: 3 Trainer epochs and 1 fine-tuning epoch of 20 steps, to check
the path; its numbers are not results and are not written to --out.)
"""

import argparse
import os
import sys
import tempfile
import time

# The package sets TF_USE_LEGACY_KERAS=1 before TensorFlow loads.
import tfx_compression  # pylint: disable=unused-import
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_pipeline  # pylint: disable=g-import-not-at-top,wrong-import-position

_artifact = bench_pipeline.artifact


def _row(name, model_bytes, accuracy):
  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.sparsity import clustering
  from tfx_compression.lib.quantization import qat
  from tfx_compression.lib.tflite import inspection
  unique = clustering.tflite_kernel_unique_values(model_bytes)
  return {"variant": name, "accuracy": accuracy,
          "size_bytes": len(model_bytes),
          "gzip_bytes": inspection.compressed_size(model_bytes),
          "int8_kernel_zeros": qat.int8_kernel_sparsity(model_bytes),
          "max_kernel_unique_values": max(unique.values()) if unique else None}


def _table(rows):
  base = rows[0]
  lines = ["| variant | accuracy | size KB (×) | gzip KB (×) | int8 kernel "
           "zeros | max distinct values in an int8 kernel |",
           "|---|---|---|---|---|---|"]
  for r in rows:
    unique = r["max_kernel_unique_values"]
    lines.append(
        f"| {r['variant']} | {r['accuracy']:.4f} | "
        f"{r['size_bytes'] / 1000:.1f} ({base['size_bytes'] / r['size_bytes']:.2f}×) | "
        f"{r['gzip_bytes'] / 1000:.1f} ({base['gzip_bytes'] / r['gzip_bytes']:.2f}×) | "
        f"{r['int8_kernel_zeros']:.3f} | {'-' if unique is None else unique} |")
  return "\n".join(lines)


def run(workdir, quick):
  """Makes and measures every variant; returns the rows."""
  # pylint: disable=g-import-not-at-top
  from tfx_compression.framework import artifact_io
  from tfx_compression.lib.data import examples_io
  from tfx_compression.lib.keras import saved_model_io
  from tfx_compression.lib.conversion import validated_conversion
  from tfx_compression.pruner import executor as pruner
  from tfx_compression.pruner.config import PolynomialDecay, PrunerConfig
  from tfx_compression.quantization_aware_trainer import executor as qat
  from tfx_compression.quantization_aware_trainer.config import QatConfig
  from tfx_compression.lib.tflite.inference import accuracy as tflite_accuracy
  from tfx_compression.fine_tuning.config import FineTuning, LayerSelection
  from tfx_compression.weight_clusterer import executor as clusterer
  from tfx_compression.weight_clusterer.config import WeightClustererConfig
  examples, model = bench_pipeline.trained(workdir, epochs=3 if quick else 12)
  keras = saved_model_io.load_keras_model(artifact_io.serving_dir(model.uri))
  inputs, labels = examples_io.read_labelled(
      artifact_io.split_files(examples, "eval"),
      saved_model_io.input_specs(keras), "label", 10_000)
  steps = 20 if quick else None
  tuning = FineTuning(epochs=1 if quick else 4, steps_per_epoch=steps)
  qat_tuning = FineTuning(epochs=1 if quick else 3, steps_per_epoch=steps,
                          learning_rate_scale=0.1)

  def executor_run(executor, key, source, name, config_key, config):
    out = os.path.join(workdir, name)
    result, model_run = _artifact("Model", out + "/m"), _artifact(
        "ModelRun", out + "/r")
    executor.Executor().Do({"examples": [examples], "model": [source]},
                           {key: [result], "model_run": [model_run]},
                           {config_key: config.to_json()})
    return result

  def quantized(source, name, scheme="auto"):
    result = executor_run(qat, "qat_model", source, name, "qat_config",
                          QatConfig(scheme=scheme, io_type="int8",
                                    fine_tuning=qat_tuning))
    data = artifact_io.read_bytes(artifact_io.tflite_path(result.uri))
    return data, tflite_accuracy(data, inputs, labels)

  float_bytes = validated_conversion.convert_validated(keras, inputs).model_bytes
  rows = [_row("float TFLite", float_bytes,
               tflite_accuracy(float_bytes, inputs, labels))]
  pruned = executor_run(pruner, "pruned_model", model, "pruned",
                        "pruner_config", PrunerConfig(
                            schedule=PolynomialDecay(0.5, 0.8, frequency=5),
                            fine_tuning=tuning))
  rows.append(_row("pruned 80% + PQAT int8", *quantized(pruned, "pqat")))
  selection = LayerSelection(exclude_names=("to_image",))
  for clusters in (16, 8):
    clustered = executor_run(
        clusterer, "clustered_model", model, f"clustered{clusters}",
        "clusterer_config", WeightClustererConfig(
            number_of_clusters=clusters, selection=selection,
            fine_tuning=tuning))
    rows.append(_row(f"clustered {clusters} + CQAT int8",
                     *quantized(clustered, f"cqat{clusters}")))
    if clusters == 16:
      rows.append(_row("clustered 16 + plain QAT int8",
                       *quantized(clustered, "qat16", "default_8bit")))
  return rows, int(len(labels))


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__)
  parser.add_argument("--quick", action="store_true")
  parser.add_argument("--out", default=os.path.join(os.path.dirname(
      os.path.abspath(__file__)), "results"))
  args = parser.parse_args(argv)
  start = time.perf_counter()
  rows, examples = run(tempfile.mkdtemp(prefix="clustering_bench_"),
                       args.quick)
  seconds = time.perf_counter() - start
  table = _table(rows)
  print(table)
  print(f"{examples} eval examples; {seconds:.0f} s")
  if not args.quick:
    import measure  # pylint: disable=g-import-not-at-top
    measure.write_results(
        args.out, "clustering",
        "Digits CNN, eval split "
        f"({examples} examples), 2-core x86 machine, {seconds:.0f} s "
        "(`benchmarks/clustering_benchmark.py`). Accuracy: the int8 "
        "TFLite model; × against float TFLite.\n\n" + table,
        {"eval_examples": examples, "seconds": seconds, "rows": rows})
  return 0


if __name__ == "__main__":
  sys.exit(main())
