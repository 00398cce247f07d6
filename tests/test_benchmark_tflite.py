"""Library tests: latency, peak memory (child process) and sparsity of TFLite models."""

import numpy as np
import pytest

from tfx_compression.lib.tflite import benchmark


def _dense_tflite(units: int, zero_share: float = 0.0) -> bytes:
  """A 64 -> units -> 10 MLP with `zero_share` of its first kernel zeroed."""
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.conversion import tflite_converter  # pylint: disable=g-import-not-at-top
  keras.utils.set_random_seed(0)
  image = keras.Input(shape=(64,), name="image")
  hidden = keras.layers.Dense(units, activation="relu", name="hidden")
  out = keras.layers.Dense(10, activation="softmax", name="probabilities")
  model = keras.Model(image, out(hidden(image)))
  kernel, bias = hidden.get_weights()
  kernel.flat[:int(kernel.size * zero_share)] = 0.0
  hidden.set_weights([kernel, bias])
  return tflite_converter.convert_keras(model)


@pytest.fixture(scope="module")
def small():
  return _dense_tflite(32, zero_share=0.75)


def test_latency_reports_median_and_p90_at_fixed_threads(small):
  one = benchmark.measure_latency(small, num_threads=1, batch_size=1,
                                         warmup_runs=3, runs=50)
  many = benchmark.measure_latency(small, batch_size=256, runs=20)
  assert (one.batch_size, one.num_threads, one.runs) == (1, 1, 50)
  assert 0 < one.min_us <= one.median_us <= one.p90_us
  assert many.batch_size == 256 and many.median_us > one.median_us


def test_peak_memory_grows_with_the_model(small, tmp_path):
  big = _dense_tflite(16_384)  # 64 x 16384 + 16384 x 10 floats: ~4.8 MB.
  paths = {}
  for name, data in (("small", small), ("big", big)):
    paths[name] = str(tmp_path / f"{name}.tflite")
    with open(paths[name], "wb") as f:
      f.write(data)
  small_mem = benchmark.measure_peak_memory(paths["small"])
  big_mem = benchmark.measure_peak_memory(paths["big"])
  assert small_mem.loader == "ai-edge-litert"  # LiteRT, what devices run
  assert small_mem.increase_bytes > 0
  # The child reads the weights: the difference is at least their size.
  assert big_mem.increase_bytes - small_mem.increase_bytes > len(big) * 0.8
  # The baseline child (a one-op model) costs what any model costs.
  runtime = benchmark.measure_runtime_memory()
  assert 0 < runtime.increase_bytes < big_mem.increase_bytes - len(big) * 0.8


def test_peak_memory_of_missing_file_raises(tmp_path):
  with pytest.raises(benchmark.BenchmarkError,
                     match="memory probe of .*missing.tflite failed"):
    benchmark.measure_peak_memory(str(tmp_path / "missing.tflite"))


def test_weight_sparsity_finds_zeroed_kernel(small):
  sparsity = benchmark.weight_sparsity(small)
  (hidden,) = [v for k, v in sparsity.items() if "[32, 64]" in k]
  assert hidden == pytest.approx(0.75, abs=0.01)
  assert all(k.startswith("FULLY_CONNECTED#") for k in sparsity)
  assert min(sparsity.values()) < 0.1  # The output kernel is dense.
  assert np.isfinite(list(sparsity.values())).all()
