"""Library tests: post-training quantization of the session's digits model."""

import numpy as np
import pytest

from tfx_compression.framework import artifact_io
from tfx_compression.errors import CompressionConfigError
from tfx_compression.lib.quantization import calibration_sampling
from tfx_compression.lib.data import examples_io
from tfx_compression.lib.keras import saved_model_io
from tfx_compression.lib.quantization import ptq as ptq
from tfx_compression.lib.quantization import ptq_convert
from tfx_compression.lib.tflite import inspection
from tfx_compression.lib.tflite import inference

_WEIGHTED_OPS = ("CONV_2D", "FULLY_CONNECTED")


@pytest.fixture(scope="module")
def calibration(trained_pipeline, keras_model, tmp_path_factory):
  """200 training examples drawn by the Beam sampler (uniform, seeded)."""
  out = tmp_path_factory.mktemp("calibration")
  stats = calibration_sampling.sample_tfrecords(
      artifact_io.split_files(trained_pipeline.examples, "train"),
      str(out / "Split-calibration"), str(out / "stats.json"), 200, seed=0)
  return examples_io.read_inputs(stats.files, saved_model_io.input_specs(keras_model),
                                 200)


@pytest.fixture(scope="module")
def eval_split(trained_pipeline, keras_model):
  """The whole eval split as model inputs and labels."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  files = artifact_io.split_files(trained_pipeline.examples, "eval")
  ds = tf.data.TFRecordDataset(files, "GZIP").batch(10_000).map(
      examples_io.parse_fn(saved_model_io.input_specs(keras_model), "label"))
  features, labels = next(iter(ds))
  return {k: v.numpy() for k, v in features.items()}, labels.numpy()


@pytest.fixture(scope="module")
def models(keras_model, calibration, eval_split):
  """Each mode's validated model (int8 also with int8 I/O), made once."""
  inputs, _ = eval_split
  out = {"int8": ptq.post_training_quantize(
      keras_model, "int8", calibration_inputs=calibration,
      validation_inputs=inputs, min_argmax_agreement=0.95)}
  for mode in ("dynamic_range", "float16", "int16x8"):
    out[mode] = ptq_convert.quantize(keras_model, mode,
                                      calibration_inputs=calibration,
                                      validation_inputs=inputs,
                                      min_argmax_agreement=0.95)
  out["int8_io"] = ptq_convert.quantize(keras_model, "int8", "int8",
                                         calibration, inputs, 0.95)
  return out


def _bytes(result):
  return getattr(result, "conversion", result).model_bytes


def _ops(model_bytes):
  """(op name, [input tensor details], [output tensor details]) per op."""
  interp = inspection.interpreter(model_bytes)
  details = {d["index"]: d for d in interp.get_tensor_details()}
  return [(op["op_name"], [details[i] for i in op["inputs"] if i >= 0],
           [details[i] for i in op["outputs"]])
          for op in interp._get_ops_details()]  # pylint: disable=protected-access


def _accuracy(outputs, labels):
  return float(np.mean(np.argmax(outputs, axis=1) == labels))


@pytest.mark.parametrize("mode", ["dynamic_range", "float16", "int8",
                                  "int16x8", "int8_io"])
def test_every_mode_loads_runs_and_agrees(models, eval_split, mode):
  inputs, labels = eval_split
  out = inference.predict(_bytes(models[mode]), inputs)["probabilities"]
  assert out.shape == (len(labels), 10) and np.all(np.isfinite(out))
  agreement = getattr(models[mode], "conversion", models[mode]).agreement
  print(f"{mode}: accuracy {_accuracy(out, labels):.4f}, argmax agreement "
        f"{agreement.argmax_agreement:.4f}, max |diff| "
        f"{agreement.max_abs_diff:.4f}, {len(_bytes(models[mode]))} bytes")
  assert agreement.num_examples == len(labels)
  assert agreement.argmax_agreement >= 0.95


def test_int8_has_int8_weights_and_activations(models):
  weighted = [op for op in _ops(_bytes(models["int8"]))
              if op[0] in _WEIGHTED_OPS]
  assert len(weighted) == 4  # conv1, conv2, dense1, probabilities.
  for name, ins, outs in weighted:
    activation, kernel, bias = ins
    assert activation["dtype"] == np.int8 and kernel["dtype"] == np.int8
    assert bias["dtype"] == np.int32 and outs[0]["dtype"] == np.int8
    # TFLite's default: convolution kernels get one scale per output
    # channel, fully connected kernels one per tensor (LiteRT lists that
    # one scale once per output channel).
    scales = kernel["quantization_parameters"]["scales"]
    if name == "CONV_2D":
      assert len(scales) == kernel["shape"][0]
    else:
      assert len(np.unique(scales)) == 1
  # Float only at the float32 I/O boundary; none at all with int8 I/O.
  summary = models["int8"].conversion.summary
  assert summary.tensor_dtype_counts["float32"] == 2
  assert summary.input_dtypes == {"image": "float32"}
  assert "float32" not in models["int8_io"].summary.tensor_dtype_counts
  assert models["int8_io"].summary.input_dtypes == {"image": "int8"}
  assert models["int8_io"].summary.output_dtypes == {"probabilities": "int8"}


def test_float16_stores_float16_weights(models):
  dequantized = [ins[0] for name, ins, _ in _ops(_bytes(models["float16"]))
                 if name == "DEQUANTIZE"]
  assert len(dequantized) == 8  # 4 kernels and 4 biases.
  assert all(t["dtype"] == np.float16 for t in dequantized)
  for name, ins, outs in _ops(_bytes(models["float16"])):
    if name in _WEIGHTED_OPS:
      assert outs[0]["dtype"] == np.float32


def test_dynamic_range_has_int8_weights_and_float_activations(models):
  weighted = [op for op in _ops(_bytes(models["dynamic_range"]))
              if op[0] in _WEIGHTED_OPS]
  int8_kernels = [ins[1] for _, ins, _ in weighted if ins[1]["dtype"] == np.int8]
  # Kernels under 1,024 weights (conv1: 144, probabilities: 640) stay float.
  assert {k["shape"].prod() for k in int8_kernels} == {4608, 8192}
  assert all(ins[0]["dtype"] == np.float32 and outs[0]["dtype"] == np.float32
             for _, ins, outs in weighted)


def test_int16x8_has_int16_activations_and_int8_weights(models):
  weighted = [(ins, outs) for name, ins, outs in
              _ops(_bytes(models["int16x8"])) if name in _WEIGHTED_OPS]
  assert len(weighted) >= 3  # conv1, conv2, ..., probabilities
  for ins, outs in weighted:
    assert ins[0]["dtype"] == np.int16 and ins[1]["dtype"] == np.int8
    assert outs[0]["dtype"] == np.int16


def test_int8_size_ratio_against_float_tflite(models):
  result = models["int8"]
  weight_ratio = result.float_weight_bytes / result.weight_bytes
  print(f"float TFLite {result.float_size_bytes} B, int8 "
        f"{len(_bytes(result))} B: file ratio {result.size_ratio:.3f}x; "
        f"weights {result.float_weight_bytes} B -> {result.weight_bytes} B: "
        f"{weight_ratio:.3f}x")
  assert result.weight_bytes == ptq.constant_bytes(_bytes(result))
  # The weights shrink ~4x; the file less, because this 14k-parameter model
  # carries ~6 KB of fixed flatbuffer content (names, per-channel scales).
  assert weight_ratio >= 3.5
  assert result.size_ratio >= 2.8


def test_int8_size_ratio_where_weights_dominate():
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  keras.utils.set_random_seed(0)
  x = keras.Input((256,), name="x")
  h = keras.layers.Dense(512, activation="relu")(x)
  model = keras.Model(x, keras.layers.Dense(10)(h))
  calibration = {"x": np.random.default_rng(0).uniform(
      size=(32, 256)).astype(np.float32)}
  result = ptq.post_training_quantize(model, "int8",
                                      calibration_inputs=calibration,
                                      num_debug_examples=8)
  print(f"256-512-10 MLP: float {result.float_size_bytes} B, int8 "
        f"{result.conversion.summary.size_bytes} B: {result.size_ratio:.3f}x")
  assert result.size_ratio >= 3.5


def test_int8_accuracy_within_one_point_of_float(models, keras_model,
                                                 eval_split):
  inputs, labels = eval_split
  float_acc = _accuracy(keras_model.predict(inputs, verbose=0), labels)
  lite = inference.predict(_bytes(models["int8"]), inputs)["probabilities"]
  int8_acc = _accuracy(lite, labels)
  print(f"eval accuracy ({len(labels)} examples): float {float_acc:.4f}, "
        f"int8 {int8_acc:.4f}")
  assert float_acc > 0.9
  assert int8_acc >= float_acc - 0.01


def test_int8_io_inputs_are_rounded_and_clipped(models, eval_split):
  inputs, labels = eval_split
  model_bytes = _bytes(models["int8_io"])
  interp = inspection.interpreter(model_bytes)
  runner = interp.get_signature_runner()
  detail = runner.get_input_details()["image"]
  scale, zero_point = detail["quantization"]
  # Calibrated on [0, 1] pixels: 0 -> -128 and 1 -> 127.
  assert zero_point == -128 and scale == pytest.approx(1 / 255, rel=0.01)
  np.testing.assert_array_equal(
      inference.quantize(np.array([0.0, 1.0, 0.5 * scale * 1.02, 2.0, -1.0]),
                          detail), np.array([-128, 127, -127, 127, -128]))
  # Truncating instead of rounding shifts the inputs by up to one step.
  truncated = np.clip(np.trunc(inputs["image"] / scale + zero_point),
                      -128, 127).astype(np.int8)
  rounded = inference.quantize(inputs["image"], detail)
  assert np.mean(truncated != rounded) > 0.1
  lite = inference.predict(model_bytes, inputs)["probabilities"]
  float_io = inference.predict(_bytes(models["int8"]), inputs)["probabilities"]
  assert np.mean(lite.argmax(1) == float_io.argmax(1)) >= 0.99
  assert _accuracy(lite, labels) >= _accuracy(float_io, labels) - 0.01


def test_full_integer_without_calibration_is_refused(keras_model):
  for mode in ("int8", "int16x8"):
    with pytest.raises(CompressionConfigError,
                       match=f"mode '{mode}' quantizes activations and needs "
                       "calibration examples; got none"):
      ptq.post_training_quantize(keras_model, mode)


def test_io_type_the_mode_cannot_produce_is_refused(keras_model, calibration):
  with pytest.raises(CompressionConfigError,
                     match="io_type 'int8' is not supported with mode "
                     "'float16'; allowed: 'float32'"):
    ptq_convert.quantize(keras_model, "float16", "int8")
  with pytest.raises(CompressionConfigError,
                     match="io_type 'int16' is not supported with mode "
                     "'int8'; allowed: 'float32', 'int8', 'uint8'"):
    ptq_convert.quantize(keras_model, "int8", "int16", calibration)
