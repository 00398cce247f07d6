"""Keras -> TFLite conversion: pre-validate, convert, report unsupported ops clearly."""

import re
from typing import Callable, Optional

from tfx_compression.errors import ConversionError
from tfx_compression.errors import UnsupportedModelError
from tfx_compression.lib.conversion import builtin_graph
from tfx_compression.lib.conversion import builtin_layers
from tfx_compression.lib.conversion import model_function
from tfx_compression.lib.keras import tf_setup  # pylint: disable=unused-import
from tfx_compression.lib.options.conversion import Optimization
from tfx_compression.lib.options.conversion import OpSet

# The converter lists ops that need the Flex delegate on one line.
_SELECT_OPS_LINE = re.compile(r"TF Select ops: ([^\n]+)")
_UNSUPPORTED_OP = re.compile(r"'tf\.(\w+)' op is neither a custom op nor a flex op")


def _unsupported_ops(message: str):
  ops = set()
  for line in _SELECT_OPS_LINE.findall(message):
    ops.update(op.strip() for op in line.split(",") if op.strip())
  ops.update(_UNSUPPORTED_OP.findall(message))
  return sorted(ops)


def check_convertible(model) -> None:
  """Raises UnsupportedModelError unless `model` has defined, named inputs."""
  model_function.as_function(model)


def converter_for(model, batch_size: Optional[int] = None):
  """A TFLiteConverter for `model`'s call, inputs and outputs named as in Keras.

  `model` is a Keras model or a `model_function.ModelFunction` (e.g. a model
  behind its Transform graph); inputs and outputs take its names.

  `TFLiteConverter.from_keras_model` (and `from_concrete_functions` given the
  model) first saves the whole Keras object graph, tracing every layer's call
  functions: 48 s of a 52 s conversion for a 158-layer MobileNetV2. Converting
  one traced function whose trackable holds only the variables gives the
  same flatbuffer in 14 s. Keras layers with a TFLite-unfriendly trace are
  traced as builtins
  (`builtin_layers`). `batch_size` fixes the batch dimension (None: any).
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  fn = model_function.as_function(model)
  specs = {name: tf.TensorSpec([batch_size] + list(spec.shape[1:]),
                               spec.dtype, name=name)
           for name, spec in fn.tensor_specs().items()}

  @tf.function(input_signature=[specs])
  def serve(inputs):
    return fn(inputs)

  holder = tf.Module()
  holder.tracked_ = list(fn.trackables)
  holder.serve = serve
  with builtin_layers.traced_as_builtins():
    function = serve.get_concrete_function()
  if not builtin_graph.uses_ops(function):
    return tf.lite.TFLiteConverter.from_concrete_functions([function], holder)
  # Ops fixed in a restored graph are rewritten in a SavedModel, which the
  # converter then reads (what from_concrete_functions does internally).
  import tempfile  # pylint: disable=g-import-not-at-top
  saved = tempfile.TemporaryDirectory(prefix="tfx_compression_convert_")
  tf.saved_model.save(holder, saved.name, signatures={
      "serving_default": function})
  builtin_graph.rewrite_saved_model(saved.name)
  converter = tf.lite.TFLiteConverter.from_saved_model(saved.name)
  converter.rewritten_from_ = saved  # Removed with the converter.
  return converter


# The converter's words when a recurrent layer's TensorList ops need static
# shapes (Keras LSTM/GRU/Bidirectional over a dynamic batch).
_TENSOR_LIST = ("TensorListReserve", "Lowering tensor list ops is failed",
                "Variable constant folding is failed")


def _convert(model, optimization, op_set, configure, batch_size=None) -> bytes:
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  converter = converter_for(model, batch_size)
  if optimization is Optimization.DYNAMIC_RANGE:
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
  elif optimization is Optimization.FLOAT16:
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.target_spec.supported_types = [tf.float16]
  ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
  if op_set is OpSet.BUILTINS_AND_SELECT_TF_OPS:
    ops.append(tf.lite.OpsSet.SELECT_TF_OPS)
  converter.target_spec.supported_ops = ops
  if configure is not None:
    configure(converter)
  return converter.convert()


def convert_keras(model,
                  optimization: Optimization = Optimization.NONE,
                  op_set: OpSet = OpSet.AUTO,
                  configure: Optional[Callable[[object], None]] = None) -> bytes:
  """Converts a Keras model to a TFLite flatbuffer.

  Converts from the model's function (dense inputs named after the Keras
  Inputs, or the raw features in front of a Transform graph), not from a
  serving signature that parses tf.Examples: `ParseExampleV2` is not a
  TFLite builtin.

  Two fallbacks, each logged and visible in the result: recurrent layers
  (LSTM, GRU, Bidirectional) whose TensorList ops need static shapes are
  converted at batch 1 (fused UNIDIRECTIONAL_SEQUENCE_LSTM; the model then
  takes one example at a time: `TfliteSummary.fixed_batch`); with `OpSet.AUTO`
  ops that are not TFLite builtins fall back to select TF ops
  (`TfliteSummary.flex_ops`, and the runtime needs the Flex delegate).

  Args:
    model: A functional or sequential tf_keras model, or a ModelFunction.
    optimization: Calibration-free optimization to apply.
    op_set: The operator sets the result may use.
    configure: Called with the converter before conversion, for settings this
      function does not cover (representative data, I/O types).

  Returns:
    The .tflite flatbuffer.

  Raises:
    UnsupportedModelError: the model cannot be converted as it is.
    ConversionError: the converter failed; names unsupported ops if any.
  """
  from absl import logging  # pylint: disable=g-import-not-at-top
  model = model_function.as_function(model)
  strict = OpSet.BUILTINS if op_set is OpSet.AUTO else op_set
  batch_size = None
  try:
    try:
      return _convert(model, optimization, strict, configure)
    except Exception as e:  # The converter raises a private ConverterError.
      if not any(word in str(e) for word in _TENSOR_LIST):
        raise
      logging.warning(
          "Model %r has recurrent layers whose TensorList ops need static "
          "shapes: converting it at batch 1 (the TFLite model takes one "
          "example at a time).", model.name)
      batch_size = 1
      return _convert(model, optimization, strict, configure, batch_size)
  except Exception as e:  # pylint: disable=broad-except
    ops_needed = _unsupported_ops(str(e))
    if not (ops_needed and op_set is OpSet.AUTO):
      _raise_conversion_error(model, e)
    logging.warning(
        "Model %r uses TensorFlow ops that are not TFLite builtins: %s. "
        "Falling back to select TF ops: the runtime needs the Flex delegate "
        "(recorded as flex_ops on the artifact). Set op_set='builtins' to "
        "refuse this instead.", model.name, ops_needed)
    try:
      return _convert(model, optimization, OpSet.BUILTINS_AND_SELECT_TF_OPS,
                      configure, batch_size)
    except Exception as e2:  # pylint: disable=broad-except
      _raise_conversion_error(model, e2)


def _raise_conversion_error(model, e):
  """Raises the ConversionError that names what to change."""
  message = str(e)
  ops_needed = _unsupported_ops(message)
  if ops_needed and model.transformed:
    raise ConversionError(
        f"The Transform graph in front of model {model.name!r} uses "
        f"TensorFlow ops that are not TFLite builtins: {ops_needed}. Either "
        "convert the model alone over transformed features (inputs="
        "'model': the device must then apply the same preprocessing, which "
        "is recorded on the artifact), or set op_set="
        f"'{OpSet.AUTO.value}' (the runtime then needs the Flex delegate)."
    ) from e
  if ops_needed:
    raise ConversionError(
        f"Model {model.name!r} uses TensorFlow ops that are not TFLite "
        f"builtins: {ops_needed}. Set op_set='{OpSet.AUTO.value}' to fall "
        "back to TF ops (the runtime then needs the Flex delegate), or "
        "replace these ops."
    ) from e
  hint = ("; the Transform graph is folded in: inputs='model' converts the "
          "model alone over transformed features" if model.transformed else "")
  raise ConversionError(
      f"TFLite conversion of model {model.name!r} failed: "
      f"{message.strip().splitlines()[0] if message.strip() else type(e).__name__}"
      f"{hint}") from e
