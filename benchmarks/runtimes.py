"""The same TFLite files timed on LiteRT and on TensorFlow 2.16's interpreter.

Every figure of tfx-compression comes from LiteRT (`ai-edge-litert`, what
devices run) since the interpreter factory `lib/tflite/runtime.py`; this
script measures what that changed, side by side in one run: each model is
loaded in both runtimes and timed at 1 thread in alternating rounds (LiteRT
first in even rounds), with XNNPACK on. It also checks which runtime's
XNNPACK takes each graph, and a model with EXPERIMENTAL_SPARSITY weights
(an earlier LiteRT failed on one under XNNPACK).

    uv run python benchmarks/runtimes.py [--out benchmarks/results]

Writes runtimes.md and runtimes.json.
"""

import argparse
import os
import platform
import time

# The package sets TF_USE_LEGACY_KERAS=1 before TensorFlow loads.
import tfx_compression  # pylint: disable=unused-import

import numpy as np  # pylint: disable=g-import-not-at-top

ROUNDS, RUNS_PER_ROUND, WARMUP = 10, 50, 20


def _models():
  """name -> TFLite bytes: small and mid-size, float, int8 and sparse."""
  # pylint: disable=g-import-not-at-top
  import tensorflow as tf
  import tf_keras as keras
  from tfx_compression.lib.conversion import tflite_converter
  keras.utils.set_random_seed(0)
  rng = np.random.default_rng(0)

  def cnn(size, width):
    x = keras.Input((size, size, 3), name="image")
    h = x
    for _ in range(3):
      h = keras.layers.Conv2D(width, 3, padding="same", activation="relu")(h)
      h = keras.layers.MaxPooling2D()(h)
    h = keras.layers.GlobalAveragePooling2D()(h)
    return keras.Model(x, keras.layers.Dense(10)(h))

  def mobilenet():
    return keras.applications.MobileNetV2(
        input_shape=(96, 96, 3), alpha=0.35, weights=None, classes=10)

  def calibration(model):
    shape = [1] + list(model.inputs[0].shape[1:])
    name = model.input_names[0]
    return lambda: ({name: rng.random(shape, np.float32)} for _ in range(20))

  def int8(model):
    def configure(converter):
      converter.optimizations = [tf.lite.Optimize.DEFAULT]
      converter.representative_dataset = calibration(model)
      converter.target_spec.supported_ops = [
          tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    return tflite_converter.convert_keras(model, configure=configure)

  def sparse(model):
    for layer in model.layers:
      weights = layer.get_weights()
      if weights and weights[0].ndim >= 2:
        kernel = weights[0]
        cut = np.quantile(np.abs(kernel), 0.8)
        weights[0] = np.where(np.abs(kernel) >= cut, kernel, 0.0)
        layer.set_weights(weights)

    def configure(converter):
      converter.optimizations = [tf.lite.Optimize.EXPERIMENTAL_SPARSITY]
    return tflite_converter.convert_keras(model, configure=configure)

  small, mid, net = cnn(32, 16), cnn(64, 64), mobilenet()
  return {
      "cnn 32x32 float": tflite_converter.convert_keras(small),
      "cnn 32x32 int8": int8(small),
      "cnn 64x64 w64 float": tflite_converter.convert_keras(mid),
      "cnn 64x64 w64 int8": int8(mid),
      "mobilenet_v2 0.35 96x96 float": tflite_converter.convert_keras(net),
      "mobilenet_v2 0.35 96x96 int8": int8(net),
      "cnn 64x64 w64 80% sparse (EXPERIMENTAL_SPARSITY)": sparse(cnn(64, 64)),
  }


class _Timed:
  """A `benchmark.Timer` at batch 1, 1 thread, warmed up."""

  def __init__(self, data: bytes, runtime: str):
    # pylint: disable=g-import-not-at-top
    from tfx_compression.lib.tflite import benchmark
    from tfx_compression.lib.tflite import inspection
    self.timer = benchmark.Timer(data, 1, 1, runtime=runtime)
    self.delegated = inspection.delegated(self.timer.interp)
    self.timer.time(WARMUP)

  def time(self, runs: int) -> np.ndarray:
    return self.timer.time(runs)


def measure(data: bytes):
  from tfx_compression.lib.tflite import runtime as tflite_runtime  # pylint: disable=g-import-not-at-top
  runtimes = (tflite_runtime.LITERT, tflite_runtime.TENSORFLOW)
  timed, errors = {}, {}
  for runtime in runtimes:
    try:
      timed[runtime] = _Timed(data, runtime)
    except Exception as e:  # pylint: disable=broad-except
      errors[runtime] = f"{type(e).__name__}: {str(e).splitlines()[0]}"
  samples = {r: [] for r in timed}
  for r in range(ROUNDS):
    order = list(timed) if r % 2 == 0 else list(reversed(list(timed)))
    for runtime in order:
      samples[runtime].append(timed[runtime].time(RUNS_PER_ROUND))
  row = {"size_bytes": len(data), "errors": errors}
  for runtime, parts in samples.items():
    times = np.concatenate(parts)
    row[runtime] = {"median_us": float(np.median(times)),
                    "p90_us": float(np.percentile(times, 90)),
                    "xnnpack_delegated": timed[runtime].delegated}
  if len(samples) == 2:
    row["tensorflow_over_litert"] = (
        row[tflite_runtime.TENSORFLOW]["median_us"] /
        row[tflite_runtime.LITERT]["median_us"])
  return row


def _markdown(results, versions, seconds) -> str:
  lines = [
      "# LiteRT vs TensorFlow 2.16's TFLite interpreter", "",
      f"`benchmarks/runtimes.py`, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
      f"{platform.processor() or platform.machine()}, load average "
      f"{os.getloadavg()[0]:.2f}; {versions}; batch 1, 1 thread, XNNPACK on, "
      f"{ROUNDS} alternating rounds of {RUNS_PER_ROUND} runs; {seconds:.0f} s.",
      "", "| model | KB | LiteRT median / p90 µs | TF median / p90 µs | TF / LiteRT | XNNPACK took it (LiteRT / TF) |",
      "|---|---|---|---|---|---|"]
  for name, row in results.items():
    cell = lambda r: (f"{row[r]['median_us']:.0f} / {row[r]['p90_us']:.0f}"
                      if r in row else f"failed: {row['errors'].get(r)}")
    took = lambda r: ("yes" if row[r]["xnnpack_delegated"] else "no"
                      ) if r in row else "-"
    ratio = row.get("tensorflow_over_litert")
    lines.append(
        f"| {name} | {row['size_bytes'] / 1024:.1f} | {cell('ai-edge-litert')} "
        f"| {cell('tensorflow')} | {f'{ratio:.2f}×' if ratio else '-'} | "
        f"{took('ai-edge-litert')} / {took('tensorflow')} |")
  return "\n".join(lines) + "\n"


def main(argv=None) -> None:
  from tfx_compression.lib.tflite import runtime as tflite_runtime  # pylint: disable=g-import-not-at-top
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--out", default=os.path.join(
      os.path.dirname(os.path.abspath(__file__)), "results"))
  args = parser.parse_args(argv)
  start = time.monotonic()
  results = {name: measure(data) for name, data in _models().items()}
  versions = ", ".join(f"{d['runtime']} {d['version']}" for d in (
      tflite_runtime.describe(tflite_runtime.LITERT),
      tflite_runtime.describe(tflite_runtime.TENSORFLOW)))
  import measure  # pylint: disable=g-import-not-at-top
  text = _markdown(results, versions, time.monotonic() - start)
  measure.write_results(args.out, "runtimes", text,
                        {"versions": versions, "results": results})
  print(text)


if __name__ == "__main__":
  main()
