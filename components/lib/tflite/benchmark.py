"""Latency, peak memory and weight sparsity of a TFLite model.

Latency is measured in this process with the interpreter of `runtime`
(LiteRT; default delegates, i.e. XNNPACK, on) at a fixed thread count, after warm-up; peak
memory in a child process (see `memory_probe`), so that what this
process already holds (TensorFlow, TFMA, Beam) does not hide it.
"""

import dataclasses
import json
import os
import subprocess
import sys
import time
from typing import Dict, Optional

import numpy as np

from tfx_compression.errors import BenchmarkError  # pylint: disable=unused-import
from tfx_compression.lib.tflite import memory_probe

# Weight tensors smaller than this are left out of the sparsity figures.
MIN_SPARSITY_TENSOR_SIZE = 64


@dataclasses.dataclass(frozen=True)
class Latency:
  """Per-invocation wall time of one batch, in microseconds."""

  batch_size: int
  num_threads: int
  runs: int
  median_us: float
  p90_us: float
  mean_us: float
  min_us: float


@dataclasses.dataclass(frozen=True)
class Memory:
  """Peak resident memory of a child process that loads and runs the model."""

  before_bytes: int  # Peak before the model was loaded (runtime only).
  peak_bytes: int  # Peak after loading, allocating and running it.
  increase_bytes: int  # peak_bytes - before_bytes: the model's own cost.
  loader: str


def _inputs(interp, batch_size: int, seed: int = 0) -> Dict[int, np.ndarray]:
  """Resizes every input to `batch_size` and returns random feeds by index."""
  rng = np.random.default_rng(seed)
  details = interp.get_input_details()
  for d in details:
    interp.resize_tensor_input(
        d["index"], [batch_size] + list(d["shape"][1:]), strict=False)
  interp.allocate_tensors()
  feeds = {}
  for d in interp.get_input_details():
    dtype = d["dtype"]
    if np.issubdtype(dtype, np.floating):
      feeds[d["index"]] = rng.random(d["shape"]).astype(dtype)
    else:
      feeds[d["index"]] = np.zeros(d["shape"], dtype)
  return feeds


def measure_latency(model_bytes: bytes, num_threads: int = 1,
                    batch_size: int = 1, warmup_runs: int = 10,
                    runs: int = 100) -> Latency:
  """Times `runs` invocations of one batch after `warmup_runs` untimed ones.

  Raises:
    BenchmarkError: the model cannot be resized or invoked.
  """
  from tfx_compression.lib.tflite import runtime as tflite_runtime  # pylint: disable=g-import-not-at-top
  try:
    interp = tflite_runtime.interpreter(model_bytes, num_threads=num_threads)
    feeds = _inputs(interp, batch_size)
    for index, value in feeds.items():
      interp.set_tensor(index, value)
    for _ in range(warmup_runs):
      interp.invoke()
    times = np.empty(runs)
    for i in range(runs):
      start = time.perf_counter_ns()
      interp.invoke()
      times[i] = (time.perf_counter_ns() - start) / 1000.0
  except (ValueError, RuntimeError) as e:
    raise BenchmarkError(
        f"could not run the model at batch size {batch_size}: {e}") from e
  return Latency(batch_size=batch_size, num_threads=num_threads, runs=runs,
                 median_us=float(np.median(times)),
                 p90_us=float(np.percentile(times, 90)),
                 mean_us=float(times.mean()), min_us=float(times.min()))


@dataclasses.dataclass(frozen=True)
class LatencyComparison:
  """Candidate and baseline timed in alternating rounds, and their ratio.

  `ratio` is baseline / candidate (> 1: the candidate is faster): the median
  of the per-round ratios, with a bootstrap 95 % confidence interval.
  """

  candidate: Latency
  baseline: Latency
  rounds: int
  round_ratios: list
  ratio: float
  ratio_ci_low: float
  ratio_ci_high: float


class Timer:
  """One model, resized to a batch, with fixed random feeds; times `invoke`."""

  def __init__(self, model_bytes: bytes, num_threads: int, batch_size: int,
               runtime: Optional[str] = None):
    from tfx_compression.lib.tflite import runtime as tflite_runtime  # pylint: disable=g-import-not-at-top
    try:
      self.interp = tflite_runtime.interpreter(
          model_bytes, num_threads=num_threads, runtime=runtime)
      for index, value in _inputs(self.interp, batch_size).items():
        self.interp.set_tensor(index, value)
    except (ValueError, RuntimeError) as e:
      raise BenchmarkError(
          f"could not run the model at batch size {batch_size}: {e}") from e

  def time(self, runs: int) -> np.ndarray:
    """Wall time of each of `runs` invocations, in microseconds."""
    times = np.empty(runs)
    for i in range(runs):
      start = time.perf_counter_ns()
      self.interp.invoke()
      times[i] = (time.perf_counter_ns() - start) / 1000.0
    return times


def _latency(times: np.ndarray, batch_size: int, num_threads: int) -> Latency:
  return Latency(batch_size=batch_size, num_threads=num_threads,
                 runs=len(times), median_us=float(np.median(times)),
                 p90_us=float(np.percentile(times, 90)),
                 mean_us=float(times.mean()), min_us=float(times.min()))


def compare_latency(candidate_bytes: bytes, baseline_bytes: bytes,
                    num_threads: int = 1, batch_size: int = 1,
                    warmup_runs: int = 10, runs: int = 100,
                    rounds: int = 10, seed: int = 0) -> LatencyComparison:
  """Times both models in `rounds` alternating rounds of `runs // rounds`.

  Alternating (candidate first in even rounds, baseline first in odd ones)
  spreads drifts of the machine (other load, frequency) over both models,
  so that a model compared with itself gets a ratio near 1 with a tight
  interval.

  Raises:
    BenchmarkError: a model cannot be resized or invoked.
  """
  timers = [Timer(candidate_bytes, num_threads, batch_size),
            Timer(baseline_bytes, num_threads, batch_size)]
  for timer in timers:
    timer.time(warmup_runs)
  per_round = max(1, runs // rounds)
  samples = [[], []]
  ratios = []
  for r in range(rounds):
    order = (0, 1) if r % 2 == 0 else (1, 0)
    medians = {}
    for i in order:
      times = timers[i].time(per_round)
      samples[i].append(times)
      medians[i] = float(np.median(times))
    ratios.append(medians[1] / medians[0])
  rng = np.random.default_rng(seed)
  boot = np.median(rng.choice(ratios, size=(2000, len(ratios))), axis=1)
  cand, base = (np.concatenate(s) for s in samples)
  return LatencyComparison(
      candidate=_latency(cand, batch_size, num_threads),
      baseline=_latency(base, batch_size, num_threads),
      rounds=rounds, round_ratios=[float(r) for r in ratios],
      ratio=float(np.median(ratios)),
      ratio_ci_low=float(np.percentile(boot, 2.5)),
      ratio_ci_high=float(np.percentile(boot, 97.5)))


def measure_peak_memory(model_path: str, num_threads: int = 1, runs: int = 10,
                        timeout_s: float = 300.0) -> Memory:
  """Loads and runs the .tflite file at `model_path` in a child process.

  Raises:
    BenchmarkError: the child failed or printed no measurement.
  """
  cmd = [sys.executable, os.path.abspath(memory_probe.__file__),
         model_path, str(num_threads), str(runs)]
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
  try:
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env,
                          timeout=timeout_s, check=False)
  except subprocess.TimeoutExpired as e:
    raise BenchmarkError(
        f"memory probe of {model_path} took over {timeout_s} s") from e
  lines = [l for l in proc.stdout.splitlines() if l.startswith("{")]
  if proc.returncode != 0 or not lines:
    raise BenchmarkError(
        f"memory probe of {model_path} failed (exit {proc.returncode}): "
        f"{proc.stderr.strip()[-500:]}")
  values = json.loads(lines[-1])
  return Memory(before_bytes=values["before_bytes"],
                peak_bytes=values["peak_bytes"],
                increase_bytes=values["peak_bytes"] - values["before_bytes"],
                loader=values["loader"])


def trivial_model_bytes() -> bytes:
  """A one-op TFLite model (y = x + 1 on one float): the runtime's own cost."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top

  @tf.function(input_signature=[tf.TensorSpec([1, 1], tf.float32)])
  def add_one(x):
    return x + 1.0

  return tf.lite.TFLiteConverter.from_concrete_functions(
      [add_one.get_concrete_function()], add_one).convert()


def measure_runtime_memory(num_threads: int = 1, runs: int = 10) -> Memory:
  """Peak memory of a child running `trivial_model_bytes`: the baseline child.

  Its `increase_bytes` is what the interpreter costs whatever the model
  (code pages and delegate set-up touched on first use); subtract it from a
  model's to estimate what the model itself needs (noise: ~1 MB).
  """
  import tempfile  # pylint: disable=g-import-not-at-top
  with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "trivial.tflite")
    with open(path, "wb") as f:
      f.write(trivial_model_bytes())
    return measure_peak_memory(path, num_threads, runs)


def weight_sparsity(model_bytes: bytes) -> Dict[str, float]:
  """Share of zero values in each constant weight tensor of >= 2 dimensions.

  Keys name the consuming op and the tensor's shape, e.g.
  'CONV_2D#1 [16, 3, 3, 1]' (converted models name folded constants
  'arith.constant', which says nothing). Quantized weights count as zero
  when equal to their zero point; sparse-encoded tensors (behind DENSIFY
  ops) count the shape's weights they do not store. Returns {} when the
  interpreter does not expose its ops.
  """
  from tfx_compression.lib.tflite import runtime as tflite_runtime  # pylint: disable=g-import-not-at-top
  interp = tflite_runtime.interpreter(model_bytes)
  interp.allocate_tensors()
  try:
    ops = interp._get_ops_details()  # pylint: disable=protected-access
  except AttributeError:
    return {}
  produced = {int(i) for op in ops for i in op["outputs"]}
  produced |= {d["index"] for d in interp.get_input_details()}
  consumer = {}
  for op in ops:
    for i in op["inputs"]:
      consumer.setdefault(int(i), f"{op['op_name']}#{op['index']}")
  result = {}
  for d in interp.get_tensor_details():
    if (d["index"] in produced or d["index"] not in consumer or
        len(d["shape"]) < 2 or
        int(np.prod(d["shape"])) < MIN_SPARSITY_TENSOR_SIZE):
      continue
    try:
      values = interp.get_tensor(d["index"])
    except ValueError:
      continue
    zero = d["quantization"][1] if d["quantization"][0] else 0
    name = f"{consumer[d['index']]} {list(map(int, d['shape']))}"
    if d.get("sparsity_parameters"):
      # Sparse-encoded (EXPERIMENTAL_SPARSITY): the buffer holds the stored
      # values only (blocks may hold zeros); the rest of the shape is zero.
      result[name] = 1.0 - float(np.count_nonzero(values != zero)) / float(
          np.prod(d["shape"]))
    else:
      result[name] = float(np.mean(values == zero))
  return result
