"""Post-training quantization of a Keras model to a validated TFLite model.

The conversion and its post-validation are LiteConverter's
(`validated_conversion.convert_validated`); this module only chooses the converter
settings for a `QuantizationMode` and feeds the calibration examples.
"""

from typing import Callable, Dict, Iterator, List, Mapping, Optional, Sequence

import numpy as np

from tfx_compression.errors import CompressionConfigError
from tfx_compression.lib.conversion import validated_conversion
from tfx_compression.lib.options.conversion import Optimization
from tfx_compression.lib.options.quantization import check_io_type
from tfx_compression.lib.options.quantization import IoType
from tfx_compression.lib.options.quantization import needs_calibration
from tfx_compression.lib.options.quantization import QuantizationMode

Inputs = Mapping[str, np.ndarray]


def num_examples(inputs: Optional[Inputs]) -> int:
  """The number of examples in a batch of named inputs (0 for None)."""
  return len(next(iter(inputs.values()))) if inputs else 0


def representative_dataset(inputs: Inputs) -> Callable[[], Iterator[Dict]]:
  """The converter's representative dataset: one example at a time.

  Yields dicts keyed by input name: TFLite orders inputs differently from
  Keras, and the converter matches dict keys to its signature's input names.
  """
  def generate():
    for i in range(num_examples(inputs)):
      yield {name: np.asarray(values[i:i + 1]) for name, values in inputs.items()}
  return generate


def debug_dataset(inputs: Inputs,
                  input_order: Callable[[], Sequence[str]]
                  ) -> Callable[[], Iterator[List[np.ndarray]]]:
  """QuantizationDebugger's dataset: lists of arrays in TFLite input order.

  Args:
    inputs: Input name -> batch.
    input_order: Returns the model's input names in TFLite order; called
      when the dataset is iterated (once the quantized model exists).
  """
  def generate():
    order = list(input_order())
    for i in range(num_examples(inputs)):
      yield [np.asarray(inputs[name][i:i + 1]) for name in order]
  return generate


def configure_fn(mode: QuantizationMode, io_type: IoType,
                 calibration_inputs: Optional[Inputs]
                 ) -> Optional[Callable[[object], None]]:
  """Returns the converter settings for a calibrated mode (None otherwise).

  Raises:
    CompressionConfigError: a calibrated mode without calibration examples,
      or an I/O type the mode does not support.
  """
  check_io_type(mode, io_type)
  if not needs_calibration(mode):
    return None
  if not num_examples(calibration_inputs):
    raise CompressionConfigError(
        f"mode {mode.value!r} quantizes activations and needs calibration "
        "examples; got none.")

  def configure(converter):
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative_dataset(
        calibration_inputs)
    converter.target_spec.supported_ops = [
        tf.lite.OpsSet.TFLITE_BUILTINS_INT8 if mode is QuantizationMode.INT8
        else tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
    io_dtype = tf.as_dtype(io_type.value)
    converter.inference_input_type = io_dtype
    converter.inference_output_type = io_dtype

  return configure


def quantize(keras_model,
             mode: QuantizationMode,
             io_type: IoType = IoType.FLOAT32,
             calibration_inputs: Optional[Inputs] = None,
             validation_inputs: Optional[Inputs] = None,
             min_argmax_agreement: float = 0.0
             ) -> validated_conversion.ConversionResult:
  """Quantizes `keras_model` and validates the result against it.

  Args:
    keras_model: A functional or sequential tf_keras model.
    mode: The quantization mode.
    io_type: The dtype of the model's inputs and outputs.
    calibration_inputs: Input name -> batch; required for INT8 and INT16X8.
    validation_inputs: Real examples to compare the result with the Keras
      model; None for a smoke run on zeros.
    min_argmax_agreement: Fail below this share of matching argmax.

  Returns:
    The validated model bytes, its summary and the measured agreement.

  Raises:
    CompressionConfigError: see `configure_fn`.
    ConversionError, InputMismatchError, ModelValidationError: see
      `validated_conversion.convert_validated`.
  """
  mode, io_type = QuantizationMode(mode), IoType(io_type)
  configure = configure_fn(mode, io_type, calibration_inputs)
  optimization = {QuantizationMode.DYNAMIC_RANGE: Optimization.DYNAMIC_RANGE,
                  QuantizationMode.FLOAT16: Optimization.FLOAT16}.get(
                      mode, Optimization.NONE)
  return validated_conversion.convert_validated(
      keras_model, validation_inputs, optimization=optimization,
      min_argmax_agreement=min_argmax_agreement, configure=configure)
