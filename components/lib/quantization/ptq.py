"""Post-training quantization: quantize, report per-layer error, validate.

For 'int8' the per-layer error report is always produced; when layers are
kept float (named, or chosen automatically against an error budget) the
selectively quantized model comes from QuantizationDebugger and goes through
the same post-validation as every converted model.
"""

import dataclasses
from typing import List, Mapping, Optional, Sequence

import numpy as np

from tfx_compression.errors import CompressionConfigError
from tfx_compression.errors import ModelValidationError
from tfx_compression.lib.conversion import validated_conversion
from tfx_compression.lib.conversion import model_function
from tfx_compression.lib.quantization import ptq_convert
from tfx_compression.lib.quantization import layer_errors
from tfx_compression.lib.conversion import tflite_converter
from tfx_compression.lib.options.quantization import IoType
from tfx_compression.lib.options.quantization import needs_calibration
from tfx_compression.lib.options.quantization import QuantizationBackend
from tfx_compression.lib.options.quantization import QuantizationMode
from tfx_compression.lib.options.quantization import SearchObjective


@dataclasses.dataclass(frozen=True)
class BudgetSearch:
  """Asks for the mixed-precision search (`budget_search`)."""

  budget: float
  objective: SearchObjective = SearchObjective.SIZE
  max_conversions: int = 20
  max_float_units: Optional[int] = None
  # One label per validation example; None: judged against the float model.
  labels: Optional[np.ndarray] = None


@dataclasses.dataclass(frozen=True)
class QuantizationResult:
  """The validated quantized model and what was measured."""

  conversion: validated_conversion.ConversionResult
  # Size of the same model converted without any optimization.
  float_size_bytes: int
  # Bytes of constant tensors (weights, biases): what quantization shrinks.
  weight_bytes: int
  float_weight_bytes: int
  # Per-layer report and float-layer decisions; int8 mode only.
  debug: Optional[layer_errors.DebugResult]
  num_calibration_examples: int
  backend: QuantizationBackend = QuantizationBackend.TFLITE
  # The accuracy-budget search, when asked for (`budget_search.SearchResult`).
  search: Optional[object] = None
  # LiteRT's quantizer's per-tensor comparison with the float model
  # (`ai_edge.tensor_validation` rows) of a model it wrote; None otherwise
  # (it matches tensors by name, which the converter's quantizer renames).
  tensor_validation: Optional[List[dict]] = None

  @property
  def size_ratio(self) -> float:
    return self.float_size_bytes / self.conversion.summary.size_bytes


def constant_bytes(model_bytes: bytes) -> int:
  """Bytes of the constant tensors (weights, biases) in a TFLite model.

  File size minus this is fixed content (graph, names, quantization
  parameters), which dominates the size of very small models.
  """
  from tensorflow.lite.tools import flatbuffer_utils  # pylint: disable=g-import-not-at-top
  model = flatbuffer_utils.convert_bytearray_to_object(bytearray(model_bytes))
  used = {t.buffer for graph in model.subgraphs for t in graph.tensors}
  return sum(len(model.buffers[i].data) for i in used
             if model.buffers[i].data is not None)


def _head(inputs: Mapping[str, np.ndarray], n: int):
  return {name: values[:n] for name, values in inputs.items()}


def post_training_quantize(
    keras_model,
    mode: QuantizationMode,
    io_type: IoType = IoType.FLOAT32,
    calibration_inputs: Optional[Mapping[str, np.ndarray]] = None,
    validation_inputs: Optional[Mapping[str, np.ndarray]] = None,
    min_argmax_agreement: float = 0.0,
    num_debug_examples: int = 100,
    float_layers: Sequence[str] = (),
    float_ops: Sequence[str] = (),
    max_auto_float_layers: int = 0,
    max_relative_output_error: Optional[float] = None,
    backend: QuantizationBackend = QuantizationBackend.TFLITE,
    block_size: int = 0,
    search: Optional[BudgetSearch] = None) -> QuantizationResult:
  """Quantizes `keras_model` in `mode` and proves the result.

  Args:
    keras_model: A functional or sequential tf_keras model.
    mode: The quantization mode.
    io_type: The dtype of the model's inputs and outputs.
    calibration_inputs: Input name -> batch; required for INT8 and INT16X8.
    validation_inputs: Real examples compared between the result and the
      Keras model; None for a smoke run on zeros.
    min_argmax_agreement: Fail below this share of matching argmax.
    num_debug_examples: First calibration examples the per-layer report and
      the relative output error are measured on (INT8).
    float_layers: See `layer_errors.analyze`.
    float_ops: See `layer_errors.analyze`.
    max_auto_float_layers: See `layer_errors.analyze`.
    max_relative_output_error: See `layer_errors.analyze`.
    backend: Which quantizer writes the model.
    block_size: int4 weights per block of this many (0: per channel).
    search: Search per-layer precision to an accuracy budget (INT8 mode),
      judged on `validation_inputs`, which it needs.

  Returns:
    The validated model with its measurements.

  Raises:
    CompressionConfigError, ConversionError, InputMismatchError,
    ModelValidationError: see `ptq_convert.quantize` and
      `layer_errors.analyze`.
  """
  mode, io_type = QuantizationMode(mode), IoType(io_type)
  backend = QuantizationBackend(backend)
  keras_model = model_function.as_function(keras_model)
  if backend is QuantizationBackend.TFLITE:
    # Checks the mode, I/O type and calibration data before any conversion.
    ptq_convert.configure_fn(mode, io_type, calibration_inputs)
  float_model = tflite_converter.convert_keras(keras_model)
  debug_inputs = _head(calibration_inputs or validation_inputs or {},
                       num_debug_examples)
  debug = found = None
  if search is not None:
    found = _search(keras_model, float_model, calibration_inputs,
                    validation_inputs, debug_inputs, io_type, backend, search,
                    float_layers, float_ops)
  elif mode is QuantizationMode.INT8 and backend is QuantizationBackend.TFLITE:
    debug = layer_errors.analyze(
        keras_model, calibration_inputs, debug_inputs, io_type=io_type,
        float_layers=float_layers, float_ops=float_ops,
        max_auto_float_layers=max_auto_float_layers,
        max_relative_output_error=max_relative_output_error,
        float_model_bytes=float_model,
        preprocessing=layer_errors.preprocessing_tensors(keras_model))
  try:
    if found is not None:
      conversion = validated_conversion.validate(
          found.model_bytes, keras_model, validation_inputs,
          min_argmax_agreement)
    elif backend is QuantizationBackend.AI_EDGE_QUANTIZER:
      from tfx_compression.lib.quantization import ai_edge  # pylint: disable=g-import-not-at-top
      conversion = validated_conversion.validate(
          ai_edge.Calibrated(
              float_model, calibration_inputs if needs_calibration(mode)
              else None).quantize(mode, io_type, block_size),
          keras_model, validation_inputs, min_argmax_agreement)
    elif debug is not None and debug.model_bytes is not None:
      conversion = validated_conversion.validate(
          debug.model_bytes, keras_model, validation_inputs,
          min_argmax_agreement)
    else:
      conversion = ptq_convert.quantize(
          keras_model, mode, io_type, calibration_inputs, validation_inputs,
          min_argmax_agreement)
  except ModelValidationError as e:
    if debug is not None:
      e.evidence["debug"] = debug  # The per-layer errors name the culprit.
    if found is not None:
      e.evidence["search"] = found
    raise
  return QuantizationResult(
      conversion=conversion, float_size_bytes=len(float_model),
      weight_bytes=constant_bytes(conversion.model_bytes),
      float_weight_bytes=constant_bytes(float_model), debug=debug,
      num_calibration_examples=ptq_convert.num_examples(calibration_inputs),
      backend=backend, search=found,
      tensor_validation=_tensor_validation(float_model, conversion.model_bytes,
                                           debug_inputs)
      if backend is QuantizationBackend.AI_EDGE_QUANTIZER else None)


def _search(function, float_model, calibration, validation_inputs,
            debug_inputs, io_type, backend, search, float_layers, float_ops):
  """Runs the accuracy-budget search; returns its `SearchResult`."""
  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.quantization import budget_search
  from tfx_compression.lib.quantization import search_judge
  from tfx_compression.lib.quantization import search_space
  from tfx_compression.lib.tflite import benchmark
  # pylint: enable=g-import-not-at-top
  if not validation_inputs:
    raise CompressionConfigError(
        "accuracy_budget needs validation examples to judge candidates on; "
        "got none (give the component examples with the validation split).")
  if backend is QuantizationBackend.TFLITE:
    space = search_space.tflite(function, calibration, debug_inputs, io_type,
                                float_model, float_layers, float_ops)
  else:
    if float_ops:
      raise CompressionConfigError(
          "float_ops is not supported with backend 'ai_edge_quantizer'; "
          "name layers in float_layers instead")
    from tfx_compression.lib.quantization import ai_edge  # pylint: disable=g-import-not-at-top
    space = search_space.ai_edge(
        ai_edge.Calibrated(float_model, calibration), debug_inputs, io_type,
        float_layers, layer_errors.preprocessing_tensors(function))
  judge = search_judge.make(float_model, validation_inputs, function,
                            search.labels)
  latency = lambda model: benchmark.measure_latency(
      model, num_threads=1, warmup_runs=3, runs=20).median_us
  return budget_search.search(
      space.units, space.build, judge, search.budget, levels=space.levels,
      whole_model=space.whole_model, objective=search.objective,
      max_conversions=search.max_conversions,
      max_float_units=search.max_float_units, latency=latency,
      backend=backend.value)


def _tensor_validation(float_model, model_bytes, inputs):
  """LiteRT's quantizer's per-tensor comparison, or None if it cannot run."""
  from absl import logging  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.quantization import ai_edge  # pylint: disable=g-import-not-at-top
  if not inputs:
    return None
  try:
    return ai_edge.tensor_validation(float_model, model_bytes, inputs)
  except Exception as e:  # pylint: disable=broad-except
    logging.warning("Per-tensor validation (AI Edge Quantizer) could not run: "
                    "%s", str(e).strip().splitlines()[0] if str(e) else e)
    return None
