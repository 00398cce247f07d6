"""Library tests: Keras -> TFLite conversion and its post-validation."""

import numpy as np
import pytest

from model_factories import small_cnn
from tfx_compression.errors import ConversionError
from tfx_compression.errors import ModelValidationError
from tfx_compression.errors import UnsupportedModelError
from tfx_compression.lib.conversion import validated_conversion
from tfx_compression.lib.conversion import tflite_converter
from tfx_compression.lib.tflite import inspection
from tfx_compression.lib.tflite import runtime as tflite_runtime
from tfx_compression.lib.tflite import inference
from tfx_compression.lib.conversion import post_validation
from tfx_compression.lib.options.conversion import Optimization
from tfx_compression.lib.options.conversion import OpSet


def _accuracy(outputs, labels):
  return float(np.mean(np.argmax(outputs, axis=1) == labels))


def test_float_conversion_reproduces_keras_on_real_examples(keras_model,
                                                            eval_inputs):
  inputs, labels = eval_inputs
  result = validated_conversion.convert_validated(keras_model, inputs,
                                             min_argmax_agreement=1.0)
  assert result.validated_on_examples
  assert result.agreement.num_examples == len(labels)
  assert result.agreement.argmax_agreement == 1.0
  assert result.agreement.max_abs_diff < 1e-4
  # float32 tensors, plus the int32 shape of the Reshape layer.
  assert set(result.summary.tensor_dtype_counts) == {"float32", "int32"}
  lite = inference.predict(result.model_bytes, inputs)["probabilities"]
  keras_acc = _accuracy(keras_model.predict(inputs, verbose=0), labels)
  assert _accuracy(lite, labels) == keras_acc
  assert keras_acc > 0.9


def test_dynamic_range_quantizes_weights_to_int8(keras_model, eval_inputs):
  inputs, _ = eval_inputs
  float_result = validated_conversion.convert_validated(keras_model, inputs)
  result = validated_conversion.convert_validated(
      keras_model, inputs, optimization=Optimization.DYNAMIC_RANGE,
      min_argmax_agreement=0.95)
  assert result.summary.tensor_dtype_counts.get("int8", 0) >= 2
  assert result.summary.input_dtypes == {"image": "float32"}
  assert result.summary.size_bytes * 2.5 < float_result.summary.size_bytes


def test_float16_stores_float16_weights(keras_model, eval_inputs):
  inputs, _ = eval_inputs
  result = validated_conversion.convert_validated(
      keras_model, inputs, optimization=Optimization.FLOAT16,
      min_argmax_agreement=0.99)
  assert result.summary.tensor_dtype_counts.get("float16", 0) >= 4
  assert result.agreement.max_abs_diff < 0.05


def test_reshape_layers_convert_to_static_shapes_that_xnnpack_takes():
  """Keras Reshape would leave a dynamic tensor and XNNPACK would refuse all."""
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  image = keras.Input(shape=(64,), name="image")
  x = keras.layers.Reshape((8, 8, 1))(image)
  x = keras.layers.Conv2D(4, 3, name="conv")(x)
  x = keras.layers.Reshape((-1, 4))(x)  # -1 in the target shape, too
  x = keras.layers.Flatten()(x)
  model = keras.Model(image, keras.layers.Dense(3, name="scores")(x))
  model_bytes = tflite_converter.convert_keras(model)
  interp = inspection.interpreter(model_bytes)
  ops = [op["op_name"] for op in interp._get_ops_details()]  # pylint: disable=protected-access
  assert "SHAPE" not in ops and "PACK" not in ops, ops
  assert inspection.delegated(interp)
  assert inspection.summarize(model_bytes).xnnpack_delegated
  # The batch stays resizable (TFMA feeds batches) and outputs are Keras'.
  batch = np.random.default_rng(0).random((5, 64), dtype=np.float32)
  lite = inference.predict(model_bytes, {"image": batch})["scores"]
  np.testing.assert_allclose(lite, model(batch).numpy(), atol=1e-5)
  # Outside conversion, Keras' own Reshape is back in place.
  assert "builtin_layers" not in keras.layers.Reshape.call.__module__


def test_dynamic_graph_is_reported_as_not_delegated():
  import tensorflow as tf  # pylint: disable=g-import-not-at-top

  @tf.function(input_signature=[tf.TensorSpec([None, 6], tf.float32)])
  def dynamic(x):
    return tf.reshape(x, tf.stack([tf.shape(x)[0], 2, 3])) * 2.0

  model_bytes = tf.lite.TFLiteConverter.from_concrete_functions(
      [dynamic.get_concrete_function()], dynamic).convert()
  delegated = {}
  for runtime in (tflite_runtime.TENSORFLOW, tflite_runtime.LITERT):
    interp = tflite_runtime.interpreter(model_bytes, runtime=runtime)
    interp.allocate_tensors()
    delegated[runtime] = inspection.delegated(interp)
  # TF 2.16's XNNPACK refuses a dynamic-sized tensor; LiteRT 2.3's takes it.
  assert delegated == {tflite_runtime.TENSORFLOW: False,
                       tflite_runtime.LITERT: True}


def test_a_graph_xnnpack_refuses_is_warned_about(caplog, monkeypatch):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  monkeypatch.setenv(tflite_runtime.RUNTIME_ENV, tflite_runtime.TENSORFLOW)
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  image = keras.Input(shape=(6,), name="image")
  scores = keras.layers.Lambda(
      lambda t: 2.0 * tf.reshape(t, tf.stack([tf.shape(t)[0], 2, 3])),
      name="scores")(image)
  model = keras.Model(image, scores, name="runtime_shapes")
  result = validated_conversion.convert_validated(model, None)
  assert not result.summary.xnnpack_delegated
  assert "XNNPACK did not take the TFLite model of 'runtime_shapes'" in caplog.text


def _matrix_inverse_model():
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  matrix = keras.Input(shape=(3, 3), name="matrix")
  inverse = keras.layers.Lambda(tf.linalg.inv, name="inverse")(matrix)
  return keras.Model(matrix, inverse)


def test_unsupported_op_is_named_with_the_fix():
  with pytest.raises(ConversionError) as e:
    tflite_converter.convert_keras(_matrix_inverse_model(), op_set=OpSet.BUILTINS)
  assert "MatrixInverse" in str(e.value)
  assert "op_set='auto'" in str(e.value)


def test_select_tf_ops_opt_in_converts_and_runs():
  model = _matrix_inverse_model()
  inputs = {"matrix": np.stack([np.eye(3, dtype=np.float32) * 2,
                                np.diag([1., 4., 5.]).astype(np.float32)])}
  result = validated_conversion.convert_validated(
      model, inputs, op_set=OpSet.BUILTINS_AND_SELECT_TF_OPS)
  assert result.agreement.max_abs_diff < 1e-6
  out = inference.predict(result.model_bytes, inputs)
  np.testing.assert_allclose(next(iter(out.values()))[1].diagonal(),
                             [1., 0.25, 0.2], rtol=1e-6)


def test_model_without_inputs_is_rejected():
  import tf_keras as keras  # pylint: disable=g-import-not-at-top

  class Subclassed(keras.Model):

    def call(self, x):
      return x

  with pytest.raises(UnsupportedModelError, match="has no defined inputs"):
    tflite_converter.convert_keras(Subclassed())


def test_nan_outputs_fail_validation():
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  x = keras.Input(shape=(4,), name="x")
  y = keras.layers.Lambda(lambda t: tf.math.sqrt(t - 10.0))(x)
  model = keras.Model(x, y)
  inputs = {"x": np.ones((3, 4), np.float32)}
  with pytest.raises(ModelValidationError, match="NaN or infinite values"):
    validated_conversion.convert_validated(model, inputs)


def test_output_shape_difference_fails_validation():
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  model_bytes = tflite_converter.convert_keras(small_cnn())
  other = keras.Sequential([keras.Input((64,), name="image"),
                            keras.layers.Dense(5, name="probabilities")])
  with pytest.raises(ModelValidationError, match=r"shape \(4, 10\).*\(4, 5\)"):
    post_validation.compare_with_keras(
        model_bytes, other, {"image": np.zeros((4, 64), np.float32)})


def test_low_agreement_fails_validation(keras_model, eval_inputs):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  inputs, _ = eval_inputs

  def miscalibrate(converter):
    # Calibrating on inputs 1000x too large quantizes real inputs to zero.
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: (
        [inputs["image"][i:i + 1] * 1000.0] for i in range(20))

  with pytest.raises(ModelValidationError, match="min_argmax_agreement is 0.9"):
    validated_conversion.convert_validated(keras_model, inputs,
                                      min_argmax_agreement=0.9,
                                      configure=miscalibrate)


def test_quantize_rounds_and_clips():
  detail = {"dtype": np.int8, "quantization": (0.1, 3)}
  q = inference.quantize(np.array([0.17, -0.17, 100.0, -100.0]), detail)
  np.testing.assert_array_equal(q, np.array([5, 1, 127, -128], np.int8))
  np.testing.assert_allclose(inference.dequantize(q, detail),
                             [0.2, -0.2, 12.4, -13.1], rtol=1e-5)
