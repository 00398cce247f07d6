"""Size and latency of full-size architectures at 224x224 (random weights).

For each architecture (tf_keras.applications, weights=None, 1000 classes; no
download) this measures, with the library code the components use:

  1. float TFLite             (validated_conversion.convert_validated)
  2. dynamic range            (ptq_convert.quantize, DYNAMIC_RANGE)
  3. int8 PTQ, float I/O      (ptq_convert.quantize, INT8), calibrated on
                              random uniform images in [-1, 1]
  4. 80% one-shot magnitude pruning + int8 PTQ: the 80% smallest-|w| of every
     Conv2D / Dense kernel zeroed (the layers tfmot prunes; depthwise kernels
     are left dense, as tfmot does), no fine-tuning, then the same int8 PTQ.

For each: raw and gzip size (inspection.compressed_size), ratios vs the
float model of the same run, batch-1 latency (benchmark.measure_latency:
tf.lite.Interpreter, XNNPACK default delegates, warm-up) at each thread count
with the ratio vs float at the same thread count, and peak memory of a child
process that loads and runs the model (benchmark.measure_peak_memory).

The component's PostTrainingQuantizer path (`post_training_quantize`) also
runs QuantizationDebugger for int8; on ResNet-50 that is minutes of extra
work for a per-layer report nobody reads on random weights, so this uses the
underlying `ptq_convert.quantize` (same converter settings, same validation).

Weights are random: accuracy is not measured. Validation runs a few of the
calibration images through Keras and TFLite as a smoke check (max |diff|).

Usage: uv run python benchmarks/fullsize.py [--out benchmarks/results]
           [--arch resnet50 --arch mobilenet_v2] [--runs 10]
"""

import os

# The package sets TF_USE_LEGACY_KERAS=1 before TensorFlow loads.
import tfx_compression  # pylint: disable=unused-import
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import concurrent.futures  # pylint: disable=g-import-not-at-top,wrong-import-position
import platform  # pylint: disable=g-import-not-at-top,wrong-import-position
import sys  # pylint: disable=g-import-not-at-top,wrong-import-position
import tempfile  # pylint: disable=g-import-not-at-top,wrong-import-position
import time  # pylint: disable=g-import-not-at-top,wrong-import-position
from typing import Callable, Dict, Mapping, Optional, Sequence  # pylint: disable=g-import-not-at-top,wrong-import-position

import numpy as np  # pylint: disable=g-import-not-at-top,wrong-import-position

import fullsize_report  # pylint: disable=g-import-not-at-top,wrong-import-position

# tf_keras.applications class for each architecture name.
APPLICATIONS = {
    "resnet50": "ResNet50",
    "mobilenet_v2": "MobileNetV2",
    "mobilenet": "MobileNet",
    "efficientnet_b0": "EfficientNetB0",
}
DEFAULT_ARCHS = ("resnet50", "mobilenet_v2")
DEFAULT_RUNS = 10
DEFAULT_WARMUP = 2
DEFAULT_THREADS = (1, 2)
SPARSITY = 0.8
NUM_CALIBRATION = 50
NUM_VALIDATION = 4

VARIANTS = ("float", "dynamic_range", "int8", "pruned80_int8")
VARIANT_LABELS = {
    "float": "float TFLite",
    "dynamic_range": "dynamic range",
    "int8": "int8 PTQ (float I/O)",
    "pruned80_int8": "80% magnitude-pruned + int8 PTQ",
}

# What the seed and STACK.md report for ResNet-50 224 (random weights).

Builder = Callable[[int], object]


def application_builder(arch: str) -> Builder:
  """Returns input_size -> tf_keras.applications model with random weights."""
  cls_name = APPLICATIONS[arch]

  def build(input_size: int):
    import tf_keras  # pylint: disable=g-import-not-at-top
    cls = getattr(tf_keras.applications, cls_name)
    return cls(weights=None, input_shape=(input_size, input_size, 3),
               classes=1000)

  return build


def cpu_model() -> str:
  """The CPU model name from /proc/cpuinfo (platform fallback)."""
  try:
    with open("/proc/cpuinfo") as f:
      for line in f:
        if line.startswith("model name"):
          return line.split(":", 1)[1].strip()
  except OSError:
    pass
  return platform.processor() or platform.machine()


def machine_info() -> Dict[str, object]:
  return {"cpu_model": cpu_model(), "cpu_count": os.cpu_count(),
          "machine": platform.machine(), "python": platform.python_version()}


def prune_one_shot(model, sparsity: float = SPARSITY) -> Dict[str, object]:
  """Zeros the `sparsity` smallest-|w| share of each Conv2D / Dense kernel.

  In place; exactly floor(sparsity * size) weights per kernel. Depthwise
  convolutions are left dense (tfmot 0.8.1 never prunes them either).

  Returns:
    The pruned layer count, kernel sparsity over the pruned layers
    (`pruning.layer_sparsity`) and over every kernel, depthwise included.
  """
  import tf_keras  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.sparsity import pruning  # pylint: disable=g-import-not-at-top
  pruned = []
  for layer in model.layers:
    if type(layer) not in (tf_keras.layers.Conv2D, tf_keras.layers.Dense):
      continue
    kernel = pruning.kernel_of(layer)
    values = kernel.numpy()
    k = int(values.size * sparsity)
    if k == 0:
      continue
    flat = values.reshape(-1).copy()
    flat[np.argpartition(np.abs(flat), k - 1)[:k]] = 0.0
    kernel.assign(flat.reshape(values.shape))
    pruned.append(layer.name)
  done = [s for s in pruning.layer_sparsity(model, pruned) if s.pruned]
  # Every convolution / dense kernel, depthwise ones included.
  kernels = [w.numpy() for l in model.layers
             for w in (getattr(l, "kernel", None),
                       getattr(l, "depthwise_kernel", None)) if w is not None]
  return {
      "pruned_layers": len(done),
      "layers_with_kernel": len(kernels),
      "pruned_kernel_sparsity": (sum(s.zeros for s in done) /
                                 max(1, sum(s.params for s in done))),
      "all_kernel_sparsity": (
          sum(int(k.size - np.count_nonzero(k)) for k in kernels) /
          max(1, sum(k.size for k in kernels))),
  }


def _ratio(a: Optional[float], b: Optional[float]) -> Optional[float]:
  return float(a) / float(b) if a and b else None


class _Gzip:
  """Computes gzip sizes in a background thread, never during timing.

  `compressed_size` (zlib level 9) takes ~50 s on a sparse 26 MB model; zlib
  releases the GIL, so it runs while the next model converts. `wait()` is
  called before every latency measurement so timing never overlaps it.
  """

  def __init__(self):
    self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    self._pending = []

  def submit(self, row: Dict[str, object], model_bytes: bytes) -> None:
    from tfx_compression.lib.tflite import inspection  # pylint: disable=g-import-not-at-top

    def compute():
      t0 = time.perf_counter()
      row["gzip_bytes"] = inspection.compressed_size(model_bytes)
      row["gzip_s"] = time.perf_counter() - t0

    self._pending.append(self._pool.submit(compute))

  def wait(self) -> None:
    for future in self._pending:
      future.result()
    self._pending = []

  def close(self) -> None:
    self.wait()
    self._pool.shutdown()


def _measure(model_bytes: bytes, threads: Sequence[int], runs: int,
             warmup: int, memory: bool, gzip: _Gzip, log) -> Dict[str, object]:
  """Latency per thread count, (optionally) child peak memory, then gzip."""
  from tfx_compression.lib.tflite import benchmark  # pylint: disable=g-import-not-at-top
  row = {"size_bytes": len(model_bytes), "latency": {},
         "load_average_1min": os.getloadavg()[0]}
  gzip.wait()
  for n in threads:
    lat = benchmark.measure_latency(
        model_bytes, num_threads=n, batch_size=1, warmup_runs=warmup,
        runs=runs)
    row["latency"][str(n)] = {
        "median_ms": lat.median_us / 1000.0, "p90_ms": lat.p90_us / 1000.0,
        "mean_ms": lat.mean_us / 1000.0, "min_ms": lat.min_us / 1000.0,
        "runs": lat.runs, "warmup_runs": warmup}
    log(f"    {n} thread(s): median {lat.median_us / 1000:.2f} ms, "
        f"p90 {lat.p90_us / 1000:.2f} ms")
  if memory:
    with tempfile.TemporaryDirectory() as tmp:
      path = os.path.join(tmp, "model.tflite")
      with open(path, "wb") as f:
        f.write(model_bytes)
      try:
        mem = benchmark.measure_peak_memory(path, num_threads=1, runs=2)
        row["peak_memory"] = {"peak_bytes": mem.peak_bytes,
                              "increase_bytes": mem.increase_bytes,
                              "before_bytes": mem.before_bytes,
                              "loader": mem.loader, "num_threads": 1,
                              "runs": 2}
      except benchmark.BenchmarkError as e:
        row["peak_memory"] = {"error": str(e)}
  gzip.submit(row, model_bytes)
  return row


def _add_ratios(rows: Dict[str, Dict[str, object]]) -> None:
  """Adds ratios vs the float row (sizes: float/this; latency: this/float)."""
  base = rows["float"]
  for row in rows.values():
    row["size_ratio_vs_float"] = _ratio(base["size_bytes"], row["size_bytes"])
    row["gzip_ratio_vs_float_gzip"] = _ratio(base["gzip_bytes"],
                                             row["gzip_bytes"])
    row["gzip_ratio_vs_float_raw"] = _ratio(base["size_bytes"],
                                            row["gzip_bytes"])
    for n, lat in row["latency"].items():
      base_lat = base["latency"][n]["median_ms"]
      lat["latency_ratio_vs_float"] = _ratio(lat["median_ms"], base_lat)
      lat["speedup_vs_float"] = _ratio(base_lat, lat["median_ms"])


def _run_arch(name: str, builder: Builder, input_size: int,
              threads: Sequence[int], runs: int, warmup: int, memory: bool,
              num_calibration: int, seed: int, gzip: _Gzip,
              log) -> Dict[str, object]:
  import tf_keras  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.keras import saved_model_io  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.conversion import validated_conversion  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.quantization import qat  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.quantization import ptq_convert  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.options.quantization import IoType  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.options.quantization import QuantizationMode  # pylint: disable=g-import-not-at-top

  start = time.perf_counter()
  tf_keras.utils.set_random_seed(seed)
  model = builder(input_size)
  specs = saved_model_io.input_specs(model)
  if len(specs) != 1:
    raise ValueError(f"{name}: expected one image input, got {sorted(specs)}")
  (input_name, spec), = specs.items()
  rng = np.random.default_rng(seed)
  images = rng.uniform(-1.0, 1.0, (num_calibration,) + tuple(spec.shape)
                       ).astype(np.float32)
  calibration = {input_name: images}
  validation = {input_name: images[:NUM_VALIDATION]}
  result = {"arch": name, "input_shape": list(map(int, spec.shape)),
            "params": int(model.count_params()),
            "build_s": time.perf_counter() - start, "variants": {}}
  log(f"  built {name} ({result['params']:,} params) in "
      f"{result['build_s']:.1f} s")

  def convert(variant, fn):
    t0 = time.perf_counter()
    conversion = fn()
    convert_s = time.perf_counter() - t0
    log(f"  {variant}: converted in {convert_s:.1f} s, "
        f"{len(conversion.model_bytes) / 1e6:.1f} MB; measuring")
    row = _measure(conversion.model_bytes, threads, runs, warmup, memory,
                   gzip, log)
    row.update(variant=variant, label=VARIANT_LABELS[variant],
               convert_s=convert_s,
               validation_max_abs_diff=conversion.agreement.max_abs_diff,
               validation_examples=conversion.agreement.num_examples)
    if variant in ("int8", "pruned80_int8"):
      row["int8_kernel_sparsity"] = qat.int8_kernel_sparsity(
          conversion.model_bytes)
    row["measure_s"] = time.perf_counter() - t0 - convert_s
    result["variants"][variant] = row

  convert("float", lambda: validated_conversion.convert_validated(model, validation))
  convert("dynamic_range", lambda: ptq_convert.quantize(
      model, QuantizationMode.DYNAMIC_RANGE, IoType.FLOAT32,
      validation_inputs=validation))
  convert("int8", lambda: ptq_convert.quantize(
      model, QuantizationMode.INT8, IoType.FLOAT32, calibration, validation))
  t0 = time.perf_counter()
  result["pruning"] = prune_one_shot(model, SPARSITY)  # In place: done last.
  log(f"  pruned one-shot in {time.perf_counter() - t0:.1f} s: "
      f"{result['pruning']}")
  convert("pruned80_int8", lambda: ptq_convert.quantize(
      model, QuantizationMode.INT8, IoType.FLOAT32, calibration, validation))
  result["wall_s"] = time.perf_counter() - start  # The last gzip may run on.
  return result


def run(archs: Sequence[str] = DEFAULT_ARCHS, runs: int = DEFAULT_RUNS,
        threads: Sequence[int] = DEFAULT_THREADS, *,
        builders: Optional[Mapping[str, Builder]] = None,
        input_size: int = 224, warmup: int = DEFAULT_WARMUP,
        memory: bool = True, num_calibration: int = NUM_CALIBRATION,
        seed: int = 0, verbose: bool = True) -> Dict[str, object]:
  """Measures every variant of every architecture; returns a JSON-able dict.

  Args:
    archs: Names in `builders` (default: tf_keras.applications names in
      APPLICATIONS).
    runs: Timed invocations per latency figure.
    threads: Interpreter thread counts to time.
    builders: Arch name -> callable(input_size) returning a Keras model with
      one image input; defaults to tf_keras.applications with random weights.
    input_size: Image height and width.
    warmup: Untimed invocations before timing.
    memory: Also measure peak memory in a child process (1 thread).
    num_calibration: Random uniform [-1, 1] calibration images.
    seed: Seeds weights and calibration images.
    verbose: Print progress with elapsed times.
  """
  start = time.perf_counter()  # Includes importing TensorFlow if not yet.
  from tfx_compression.lib.keras import tf_setup  # pylint: disable=g-import-not-at-top
  tf_setup.skip_autograph_for_keras()

  def log(message):
    if verbose:
      print(f"[{time.perf_counter() - start:7.1f} s] {message}", flush=True)

  builders = dict(builders or {})
  results = {}
  load_start = os.getloadavg()
  gzip = _Gzip()
  try:
    for arch in archs:
      builder = builders.get(arch) or application_builder(arch)
      log(f"{arch} at {input_size}x{input_size}")
      results[arch] = _run_arch(arch, builder, input_size, tuple(threads),
                                runs, warmup, memory, num_calibration, seed,
                                gzip, log)
      log(f"{arch} done in {results[arch]['wall_s']:.1f} s")
  finally:
    gzip.close()
  for res in results.values():
    _add_ratios(res["variants"])
  log("gzip sizes done")
  wall = time.perf_counter() - start
  return {
      "machine": machine_info(),
      "load_average_start": list(load_start),
      "load_average_end": list(os.getloadavg()),
      "settings": {
          "input_size": input_size, "batch_size": 1, "runs": runs,
          "warmup_runs": warmup, "threads": list(threads),
          "interpreter": "tf.lite.Interpreter, default delegates (XNNPACK)",
          "weights": "random (weights=None); accuracy not measured",
          "calibration": (f"{num_calibration} random images, uniform in "
                          "[-1, 1], seed {seed}".format(seed=seed)),
          "pruning": (f"one-shot {SPARSITY:.0%} magnitude pruning of each "
                      "Conv2D/Dense kernel, no fine-tuning"),
          "gzip": "tflite_inspect.compressed_size (zlib level 9)",
      "peak_memory": ("child process, 1 thread, 2 invocations"
                          if memory else "not measured"),
      },
      "archs": results,
      "wall_s": wall,
  }


def main(argv=None) -> int:
  import argparse  # pylint: disable=g-import-not-at-top
  parser = argparse.ArgumentParser(
      description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--out", default=os.path.join(
      os.path.dirname(os.path.abspath(__file__)), "results"))
  parser.add_argument("--arch", action="append", choices=sorted(APPLICATIONS),
                      help="repeatable; default: " + ", ".join(DEFAULT_ARCHS))
  parser.add_argument("--runs", type=int, default=DEFAULT_RUNS)
  parser.add_argument("--warmup", type=int, default=DEFAULT_WARMUP)
  parser.add_argument("--threads", type=int, nargs="+",
                      default=list(DEFAULT_THREADS))
  parser.add_argument("--no-memory", action="store_true",
                      help="skip the child-process peak-memory probe")
  args = parser.parse_args(argv)
  result = run(tuple(args.arch or DEFAULT_ARCHS), runs=args.runs,
               threads=tuple(args.threads), warmup=args.warmup,
               memory=not args.no_memory)
  paths = fullsize_report.write_results(result, args.out)
  print(fullsize_report.markdown(result))
  print(f"wrote {paths['json']} and {paths['md']}; "
        f"wall time {result['wall_s']:.0f} s")
  return 0


if __name__ == "__main__":
  sys.exit(main())
