"""benchmarks/fullsize.py on a tiny stand-in: ratios, pruning and files agree."""

import importlib.util
import json
import os
import sys

import numpy as np
import pytest

_BENCHMARKS = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks")


def _module(name="fullsize"):
  """Loads benchmarks/<name>.py as the script does (its directory on the path)."""
  sys.path.insert(0, _BENCHMARKS)
  try:
    spec = importlib.util.spec_from_file_location(
        f"{name}_benchmark", os.path.join(_BENCHMARKS, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
  finally:
    sys.path.remove(_BENCHMARKS)
  return module


def _tiny_cnn(input_size):
  """Conv2D + DepthwiseConv2D + Dense: every kind of layer the pruning sees."""
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  image = keras.Input(shape=(input_size, input_size, 3), name="image")
  x = keras.layers.Conv2D(32, 3, activation="relu", name="conv")(image)
  x = keras.layers.DepthwiseConv2D(3, activation="relu", name="dw")(x)
  x = keras.layers.Conv2D(64, 1, activation="relu", name="pw")(x)
  x = keras.layers.GlobalAveragePooling2D()(x)
  x = keras.layers.Dense(128, activation="relu", name="fc")(x)
  out = keras.layers.Dense(10, activation="softmax", name="probabilities")(x)
  return keras.Model(image, out)


@pytest.fixture(scope="module")
def fullsize():
  return _module()


@pytest.fixture(scope="module")
def result(fullsize):
  return fullsize.run(archs=("tiny",), runs=2, threads=(1,),
                      builders={"tiny": _tiny_cnn}, input_size=16, warmup=1,
                      num_calibration=8, verbose=False)


def test_importing_has_no_side_effects(fullsize):
  assert not hasattr(fullsize, "args")
  assert fullsize.DEFAULT_ARCHS == ("resnet50", "mobilenet_v2")
  assert "argparse" not in vars(fullsize)


def test_prune_one_shot_zeros_80_percent_of_conv_and_dense_only(fullsize):
  model = _tiny_cnn(16)
  depthwise_before = model.get_layer("dw").depthwise_kernel.numpy().copy()
  fc_before = model.get_layer("fc").kernel.numpy().copy()
  stats = fullsize.prune_one_shot(model, 0.8)
  assert stats["pruned_layers"] == 4  # conv, pw, fc, probabilities
  assert stats["layers_with_kernel"] == 5  # and dw, left dense
  for name in ("conv", "pw", "fc", "probabilities"):
    kernel = model.get_layer(name).kernel.numpy()
    assert np.sum(kernel == 0) == int(kernel.size * 0.8), name
  np.testing.assert_array_equal(model.get_layer("dw").depthwise_kernel.numpy(),
                                depthwise_before)
  fc = model.get_layer("fc").kernel.numpy()
  kept = np.abs(fc_before[fc != 0])
  dropped = np.abs(fc_before[fc == 0])
  assert kept.min() >= dropped.max()  # The smallest magnitudes went.
  assert stats["pruned_kernel_sparsity"] == pytest.approx(0.8, abs=1e-3)
  assert stats["all_kernel_sparsity"] < stats["pruned_kernel_sparsity"]


def test_ratios_are_consistent_with_sizes_and_latency(fullsize, result):
  rows = result["archs"]["tiny"]["variants"]
  assert list(rows) == list(fullsize.VARIANTS)
  base = rows["float"]
  assert base["size_ratio_vs_float"] == 1.0
  assert base["latency"]["1"]["speedup_vs_float"] == 1.0
  for row in rows.values():
    assert row["size_ratio_vs_float"] == pytest.approx(
        base["size_bytes"] / row["size_bytes"])
    assert row["gzip_ratio_vs_float_gzip"] == pytest.approx(
        base["gzip_bytes"] / row["gzip_bytes"])
    assert row["gzip_ratio_vs_float_raw"] == pytest.approx(
        base["size_bytes"] / row["gzip_bytes"])
    lat = row["latency"]["1"]
    assert row["load_average_1min"] >= 0 and row["gzip_s"] >= 0
    assert lat["runs"] == 2 and 0 < lat["min_ms"] <= lat["median_ms"] <= lat["p90_ms"]
    assert lat["speedup_vs_float"] == pytest.approx(
        base["latency"]["1"]["median_ms"] / lat["median_ms"])
    assert lat["latency_ratio_vs_float"] * lat["speedup_vs_float"] == (
        pytest.approx(1.0))
    assert row["peak_memory"].get("peak_bytes", 0) > 0, row["peak_memory"]
  # Quantized weights shrink the file; zeroed kernels shrink only its gzip.
  assert rows["int8"]["size_bytes"] < base["size_bytes"]
  assert rows["pruned80_int8"]["size_bytes"] == pytest.approx(
      rows["int8"]["size_bytes"], rel=0.05)
  assert rows["pruned80_int8"]["gzip_bytes"] < 0.8 * rows["int8"]["gzip_bytes"]
  assert rows["pruned80_int8"]["int8_kernel_sparsity"] > 0.6
  assert rows["int8"]["int8_kernel_sparsity"] < 0.2


def test_files_match_the_result(result, tmp_path):
  paths = _module("fullsize_report").write_results(result, str(tmp_path))
  with open(paths["json"]) as f:
    assert json.load(f) == json.loads(json.dumps(result))
  with open(paths["md"]) as f:
    text = f.read()
  rows = result["archs"]["tiny"]["variants"]
  for row in rows.values():
    assert row["label"] in text
    assert f"{row['size_bytes'] / 1e6:.2f} MB" in text
    assert f"({row['gzip_ratio_vs_float_gzip']:.2f}x)" in text
  assert "random" in text and "accuracy not measured" in text
  assert result["machine"]["cpu_model"] in text
  assert "98 MB -> pruned 80% + int8, gzip 9.2 MB" in text
  assert "102 MB, 306 ms" in text
