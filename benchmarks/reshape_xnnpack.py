"""Why the converter traces Keras Reshape layers with a constant shape.

Converts the benchmark's MobileNetV2 (random weights; latency only) twice, as
float and as int8: with `TFLiteConverter.from_keras_model` (Keras' Reshape
keeps a run-time shape, XNNPACK refuses the graph) and with
`tflite_converter.convert_keras` (constant shape). Prints whether XNNPACK took
each model and its batch-1 latency at 1 thread, side by side in one run.

Usage: uv run python benchmarks/reshape_xnnpack.py [--out benchmarks/results]
"""

import argparse
import os
import sys

# The package sets TF_USE_LEGACY_KERAS=1 before TensorFlow loads.
import tfx_compression  # pylint: disable=unused-import
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def _int8(converter, rng):
  import numpy as np  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  converter.optimizations = [tf.lite.Optimize.DEFAULT]
  converter.representative_dataset = lambda: (
      [rng.random((1, 64), dtype=np.float32)] for _ in range(50))
  converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
  return converter.convert()


def run(runs: int = 300) -> str:
  """Returns the Markdown table."""
  # pylint: disable=g-import-not-at-top
  import numpy as np
  import tensorflow as tf
  from tfx_compression.lib.tflite import benchmark as benchmark_tflite
  from tfx_compression.lib.conversion import tflite_converter
  from tfx_compression.lib.tflite import inspection
  import mobilenet
  model = mobilenet.digits()
  rng = np.random.default_rng(0)
  keras_path = lambda: tf.lite.TFLiteConverter.from_keras_model(model)
  ours = lambda: tflite_converter.converter_for(model)
  # Ours first: once `from_keras_model` has saved the model object, its
  # layers keep Keras' own traced calls in this process.
  variants = {
      ("float", "convert_keras"): ours().convert(),
      ("int8", "convert_keras"): _int8(ours(), rng),
      ("float", "from_keras_model"): keras_path().convert(),
      ("int8", "from_keras_model"): _int8(keras_path(), rng),
  }
  rows = ["| model | converted by | XNNPACK took it | 1 thread median µs |",
          "|---|---|---|---|"]
  for (kind, how), data in variants.items():
    delegated = inspection.delegated(inspection.interpreter(data))
    latency = benchmark_tflite.measure_latency(data, num_threads=1,
                                               warmup_runs=30, runs=runs)
    rows.append(f"| {kind} | `{how}` | {'yes' if delegated else 'no'} | "
                f"{latency.median_us:,.0f} |")
  return "\n".join([f"# Keras Reshape and XNNPACK: {model.name}", ""] + rows)


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(description=__doc__)
  parser.add_argument("--out", default=RESULTS)
  args = parser.parse_args(argv)
  table = run()
  import measure  # pylint: disable=g-import-not-at-top
  measure.write_results(args.out, "reshape_xnnpack", table)
  print(table)
  return 0


if __name__ == "__main__":
  sys.exit(main())
