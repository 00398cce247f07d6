"""QAT on the digits CNN: float vs PTQ int8 vs QAT int8, and pruned + PQAT vs
pruned + plain QAT, all through the components' executors in one process.

Usage: uv run python benchmarks/qat_benchmark.py [--out benchmarks/results]
"""

import argparse
import os
import sys
import tempfile

# The package sets TF_USE_LEGACY_KERAS=1 before TensorFlow loads.
import tfx_compression  # pylint: disable=unused-import
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_pipeline  # pylint: disable=g-import-not-at-top,wrong-import-position
import pruner_benchmark  # pylint: disable=g-import-not-at-top,wrong-import-position


_artifact = bench_pipeline.artifact


def _row(name, model_bytes, accuracy, sparsity=None):
  from tfx_compression.lib.tflite import inspection
  return {"variant": name, "accuracy": accuracy, "size_bytes": len(model_bytes),
          "gzip_bytes": inspection.compressed_size(model_bytes),
          "int8_kernel_sparsity": sparsity}


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__)
  parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__),
                                                    "results"))
  args = parser.parse_args(argv)
  from tfx_compression.framework import artifact_io
  from tfx_compression.lib.data import examples_io
  from tfx_compression.lib.keras import saved_model_io
  from tfx_compression.lib.conversion import validated_conversion
  from tfx_compression.lib.quantization import qat
  from tfx_compression.post_training_quantizer import executor as ptq
  from tfx_compression.post_training_quantizer.config import PostTrainingQuantizerConfig
  from tfx_compression.pruner import executor as pruner
  from tfx_compression.pruner.config import PolynomialDecay, PrunerConfig
  from tfx_compression.quantization_aware_trainer import executor as qat_executor
  from tfx_compression.quantization_aware_trainer.config import QatConfig
  from tfx_compression.lib.tflite.inference import accuracy as tflite_accuracy
  from tfx_compression.fine_tuning.config import FineTuning
  work = tempfile.mkdtemp(prefix="qat_bench_")
  examples, model = pruner_benchmark._trained(work)  # pylint: disable=protected-access
  keras = saved_model_io.load_keras_model(artifact_io.serving_dir(model.uri))
  specs = saved_model_io.input_specs(keras)
  inputs, labels = examples_io.read_labelled(
      artifact_io.split_files(examples, "eval"), specs, "label", 10_000)
  rows = []
  float_bytes = validated_conversion.convert_validated(keras, inputs).model_bytes
  rows.append(_row("float TFLite", float_bytes,
                   tflite_accuracy(float_bytes, inputs, labels)))

  out = os.path.join(work, "ptq")
  quantized, sample = _artifact("Model", out + "/m"), _artifact("Examples", out + "/s")
  ptq.Executor().Do({"model": [model], "examples": [examples]},
                    {"quantized_model": [quantized], "calibration_examples": [sample]},
                    PostTrainingQuantizerConfig().to_exec_properties())
  data = artifact_io.read_bytes(artifact_io.tflite_path(quantized.uri))
  rows.append(_row("PTQ int8 (Beam sample of 200)", data,
                   tflite_accuracy(data, inputs, labels)))

  def run_qat(source, name, config):
    out = os.path.join(work, name)
    model_out, run = _artifact("Model", out + "/m"), _artifact("ModelRun", out + "/r")
    qat_executor.Executor().Do({"examples": [examples], "model": [source]},
                               {"qat_model": [model_out], "model_run": [run]},
                               {"qat_config": config.to_json()})
    data = artifact_io.read_bytes(artifact_io.tflite_path(model_out.uri))
    return data, tflite_accuracy(data, inputs, labels)

  tuning = FineTuning(epochs=3, learning_rate_scale=0.1)
  data, accuracy = run_qat(model, "qat", QatConfig(fine_tuning=tuning))
  rows.append(_row("QAT int8", data, accuracy, qat.int8_kernel_sparsity(data)))

  out = os.path.join(work, "pruned")
  pruned, run = _artifact("Model", out + "/m"), _artifact("ModelRun", out + "/r")
  pruner.Executor().Do(
      {"examples": [examples], "model": [model]},
      {"pruned_model": [pruned], "model_run": [run]},
      {"pruner_config": PrunerConfig(
          schedule=PolynomialDecay(0.5, 0.8, frequency=10),
          fine_tuning=FineTuning(epochs=4)).to_json()})
  for name, scheme in (("pruned 80% + PQAT int8", "prune_preserve"),
                       ("pruned 80% + plain QAT int8", "default_8bit")):
    data, accuracy = run_qat(pruned, scheme,
                             QatConfig(scheme=scheme, fine_tuning=tuning))
    rows.append(_row(name, data, accuracy, qat.int8_kernel_sparsity(data)))

  base = rows[0]
  lines = ["| variant | accuracy | size (ratio vs float) | gzip (ratio vs float) "
           "| int8 kernel sparsity |", "|---|---|---|---|---|"]
  for r in rows:
    sparsity = ("-" if r["int8_kernel_sparsity"] is None
                else f"{r['int8_kernel_sparsity']:.3f}")
    lines.append(
        f"| {r['variant']} | {r['accuracy']:.4f} | {r['size_bytes']:,} B "
        f"({base['size_bytes'] / r['size_bytes']:.2f}x) | {r['gzip_bytes']:,} B "
        f"({base['gzip_bytes'] / r['gzip_bytes']:.2f}x) | {sparsity} |")
  table = "\n".join(lines)
  import measure  # pylint: disable=g-import-not-at-top
  measure.write_results(
      args.out, "qat",
      f"Digits eval split ({len(labels)} examples), 2-core x86 machine.\n\n"
      + table, {"eval_examples": int(len(labels)), "rows": rows})
  print(table)
  return 0


if __name__ == "__main__":
  sys.exit(main())
