"""Library tests: QAT quantizer ranges calibrated from data, BatchNorm frozen."""

import numpy as np
import pytest

from tfx_compression.fine_tuning.config import LayerSelection
from tfx_compression.lib.quantization import qat
from tfx_compression.lib.quantization import qat_ranges


def _model():
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  keras.utils.set_random_seed(3)
  x = keras.Input((6, 6, 1), name="x")
  y = keras.layers.Conv2D(4, 3, use_bias=False, name="conv")(x)
  y = keras.layers.BatchNormalization(name="bn")(y)
  y = keras.layers.ReLU(name="relu")(y)
  y = keras.layers.Flatten(name="flat")(y)
  out = keras.layers.Dense(3, activation="softmax", name="out")(y)
  model = keras.Model(x, out)
  model.get_layer("bn").set_weights([np.full(4, 2.0), np.full(4, 0.5),
                                     np.full(4, 0.1), np.full(4, 4.0)])
  return model


def _variable(model, name):
  """A quantizer variable by '<layer>/<variable>' (the input quantizer's
  layer is 'quantize_layer', whatever Keras numbered it)."""
  layer, variable = name.split("/")
  if layer == "quantize_layer":
    (found,) = [l for l in model.layers if l.name.startswith(layer)]
    layer, variable = found.name, variable.replace("quantize_layer",
                                                   found.name)
  (v,) = [w for w in model.get_layer(layer).weights
          if w.name.split("/")[-1] == variable]
  return v.numpy()


def test_range_initialisation_sets_quantizer_min_max_from_data():
  model = _model()
  inputs = np.random.RandomState(0).uniform(0.0, 3.0, (40, 6, 6, 1)).astype(
      np.float32)
  relu_out = model.get_layer("relu").output
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  probe = keras.Model(model.input, [relu_out, model.get_layer("out").input])
  relu_values, flat = probe.predict(inputs, verbose=0)
  kernel = model.get_layer("conv").kernel.numpy()
  dense = model.get_layer("out")
  logits = flat @ dense.kernel.numpy() + dense.bias.numpy()
  quantized = qat.quantize(model, qat.select_layers(model, LayerSelection(),
                                                    False), False)
  assert _variable(quantized, "relu/output_max:0") == pytest.approx(6.0)
  batches = [inputs[i:i + 8] for i in range(0, 40, 8)]
  result = qat_ranges.initialize(quantized, batches)
  assert (result.batches, result.examples, result.uncalibrated) == (5, 40, [])
  assert result.weight_ranges == 2 and result.activation_ranges == 3
  # Input: the data's own range (asymmetric ranges always contain 0).
  assert _variable(quantized, "quantize_layer/quantize_layer_min:0") == 0.0
  assert _variable(quantized, "quantize_layer/quantize_layer_max:0") == \
      pytest.approx(inputs.max(), rel=1e-6)
  # Activations: what the float model computes there, over all batches.
  assert _variable(quantized, "relu/output_max:0") == pytest.approx(
      relu_values.max(), rel=1e-2)  # calibrated with int8 weights
  assert _variable(quantized, "out/pre_activation_min:0") == pytest.approx(
      min(logits.min(), 0.0), rel=1e-2)
  assert _variable(quantized, "out/pre_activation_max:0") == pytest.approx(
      max(logits.max(), 0.0), rel=1e-2)
  # Convolution weights: symmetric per output channel.
  np.testing.assert_allclose(_variable(quantized, "conv/kernel_max:0"),
                             np.abs(kernel).max(axis=(0, 1, 2)), rtol=1e-6)
  np.testing.assert_allclose(_variable(quantized, "conv/kernel_min:0"),
                             -np.abs(kernel).max(axis=(0, 1, 2)), rtol=1e-6)


def test_batch_norm_freeze_keeps_statistics_through_training():
  model = _model()
  quantized = qat.quantize(model, qat.select_layers(model, LayerSelection(),
                                                    False), False)
  assert qat_ranges.freeze_batch_norm(quantized) == ["bn"]
  bn = quantized.get_layer("bn")
  statistics = [w.numpy().copy() for w in bn.weights if "moving" in w.name]
  quantized.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
  rng = np.random.RandomState(1)
  quantized.fit(rng.normal(size=(32, 6, 6, 1)), rng.randint(0, 3, 32),
                epochs=1, batch_size=8, verbose=0)
  after = [w.numpy() for w in bn.weights if "moving" in w.name]
  for a, b in zip(statistics, after):
    np.testing.assert_array_equal(a, b)


def test_qat_after_zero_epochs_is_within_a_point_of_ptq_int8(
    trained_pipeline, keras_model):
  """The session's digits CNN: calibrated QAT starts where PTQ int8 ends."""
  # pylint: disable=g-import-not-at-top
  from tfx_compression.framework import artifact_io
  from tfx_compression.lib.training import distillation
  from tfx_compression.lib.data import examples_io
  from tfx_compression.lib.keras import saved_model_io
  from tfx_compression.lib.quantization import ptq_convert
  from tfx_compression.lib.options.quantization import QuantizationMode
  from tfx_compression.lib.tflite.inference import accuracy as tflite_accuracy
  specs = saved_model_io.input_specs(keras_model)
  split = lambda name: artifact_io.split_files(trained_pipeline.examples, name)
  inputs, labels = examples_io.read_labelled(split("eval"), specs, "label",
                                             10_000)
  calibration, _ = examples_io.read_labelled(split("train"), specs, "label",
                                             320)
  ptq = ptq_convert.quantize(keras_model, QuantizationMode.INT8,
                              calibration_inputs=calibration).model_bytes
  ptq_accuracy = tflite_accuracy(ptq, inputs, labels)
  model = distillation.teacher_copy(keras_model)  # leaves the fixture alone
  quantized = qat.quantize(model, qat.select_layers(model, LayerSelection(),
                                                    False), False)
  qat_ranges.initialize(quantized, [
      {k: v[i:i + 32] for k, v in calibration.items()}
      for i in range(0, 320, 32)])
  predictions = quantized.predict(inputs, verbose=0)
  qat_accuracy = float(np.mean(np.argmax(predictions, 1) == labels))
  print(f"{len(labels)} eval examples: PTQ int8 {ptq_accuracy:.4f}, "
        f"QAT after 0 epochs {qat_accuracy:.4f}")
  assert abs(qat_accuracy - ptq_accuracy) <= 0.01
