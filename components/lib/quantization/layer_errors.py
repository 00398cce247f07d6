"""Per-layer int8 quantization error, and keeping chosen layers float.

Built on `tf.lite.experimental.QuantizationDebugger`, which quantizes a
calibrated model with a NumericVerify op after every quantized tensor and
measures, per tensor, the difference between the dequantized int8 result and
the float result computed from the same input.

Layers are kept float by denylisting their output tensors ("nodes") or op
types; the automatic mode denylists the worst remaining tensor (largest RMSE
in quantization steps, `rmse_over_scale`) one at a time until the model-level
relative output error meets a budget or a limit is reached.
"""

import csv
import dataclasses
import io
import math
import re
from typing import Dict, List, Optional, Sequence

import numpy as np

from tfx_compression.errors import CompressionConfigError
from tfx_compression.errors import ConversionError
from tfx_compression.lib.quantization import ptq_convert
from tfx_compression.lib.conversion import tflite_converter
from tfx_compression.lib.tflite import inspection
from tfx_compression.lib.tflite import inference
from tfx_compression.lib.options.quantization import IoType
from tfx_compression.lib.options.quantization import QuantizationMode
from tfx_compression.lib.options.quantization import SELECTIVE_IO_TYPES

_FLOAT_FIELDS = ("num_elements", "mean_error", "stddev", "max_abs_error",
                 "mean_squared_error", "scale")


@dataclasses.dataclass(frozen=True)
class LayerError:
  """Quantization error of one quantized tensor, averaged over examples."""

  tensor_name: str  # What `float_nodes` denylists.
  op_name: str  # The TFLite op producing it, e.g. CONV_2D.
  tensor_idx: int
  num_elements: float
  mean_error: float
  stddev: float
  max_abs_error: float
  mean_squared_error: float
  scale: float
  zero_point: int
  # RMSE in quantization steps: ~0.29 is pure rounding error; much more means
  # clipping or an ill-suited scale.
  rmse_over_scale: float


@dataclasses.dataclass(frozen=True)
class FloatDecision:
  """One tensor or op type kept float (or tried and left int8), and why."""

  kept_float: str  # A tensor name or an op type.
  reason: str
  # Model-level relative output error once this decision applied.
  relative_output_error: float
  # False: tried by the automatic mode and left int8 (float was no better).
  applied: bool = True


@dataclasses.dataclass(frozen=True)
class DebugResult:
  """The per-layer report and, if anything was kept float, that model."""

  layers: List[LayerError]  # Of the fully int8 model.
  float_nodes: List[str]
  float_ops: List[str]
  decisions: List[FloatDecision]
  # ||quantized - float|| / ||float|| over all outputs of the debug examples.
  initial_relative_output_error: float
  relative_output_error: float
  error_budget: Optional[float]
  budget_met: Optional[bool]
  num_debug_examples: int
  # The selectively quantized model; None when nothing is kept float.
  model_bytes: Optional[bytes]


def relative_output_error(outputs: Dict[str, np.ndarray],
                          reference: Dict[str, np.ndarray]) -> float:
  """||outputs - reference||_2 / ||reference||_2 over every output."""
  diff = sum(float(np.sum((outputs[k] - reference[k]) ** 2)) for k in reference)
  norm = sum(float(np.sum(reference[k] ** 2)) for k in reference)
  return math.sqrt(diff / norm) if norm > 0 else math.sqrt(diff)


def layer_names_of(tensor_name: str) -> List[str]:
  """The name path segments of a fused TFLite tensor name."""
  return [seg for piece in tensor_name.split(";") for seg in piece.split("/")]


def resolve_float_layers(float_layers: Sequence[str],
                         layers: Sequence[LayerError]) -> Dict[str, List[str]]:
  """Maps Keras layer names to the quantized tensors they produce.

  Raises:
    CompressionConfigError: a name matches no quantized tensor.
  """
  found = {}
  for layer in float_layers:
    found[layer] = [l.tensor_name for l in layers
                    if layer in layer_names_of(l.tensor_name)]
    if not found[layer]:
      raise CompressionConfigError(
          f"float_layers entry {layer!r} names no quantized tensor; allowed: "
          "Keras layer names appearing in these tensor names: "
          f"{[l.tensor_name for l in layers]}")
  return found


def preprocessing_tensors(function) -> List[str]:
  """Tensor names of a function's Transform graph, as TFLite names them.

  Converted alone (raw features -> model inputs), the Transform graph's ops
  give the names its tensors also carry in the whole model's graph.
  """
  if getattr(function, "preprocess", None) is None:
    return []
  interp = inspection.interpreter(
      tflite_converter.convert_keras(function.preprocess))
  return sorted({d["name"] for d in interp.get_tensor_details()})


def _parse_layer_errors(dump: str) -> List[LayerError]:
  rows = []
  for row in csv.DictReader(io.StringIO(dump)):
    values = {k: float(row[k]) for k in _FLOAT_FIELDS}
    rows.append(LayerError(
        tensor_name=row["tensor_name"], op_name=row["op_name"],
        tensor_idx=int(row["tensor_idx"]), zero_point=int(row["zero_point"]),
        rmse_over_scale=(math.sqrt(values["mean_squared_error"]) /
                         values["scale"] if values["scale"] else 0.0),
        **values))
  return rows


class DebugSession:
  """One QuantizationDebugger on a model, its calibration and debug data."""

  def __init__(self, keras_model, calibration_inputs, debug_inputs,
               fully_quantize: bool):
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    tflite_converter.check_convertible(keras_model)
    converter = tflite_converter.converter_for(keras_model)
    ptq_convert.configure_fn(QuantizationMode.INT8, IoType.FLOAT32,
                              calibration_inputs)(converter)
    self._tf = tf
    self._fully_quantize = fully_quantize
    try:
      self.debugger = tf.lite.experimental.QuantizationDebugger(
          converter=converter,
          debug_dataset=ptq_convert.debug_dataset(debug_inputs,
                                                   self._input_order),
          debug_options=self._options([], [], False))
    except Exception as e:  # The converter raises a private ConverterError.
      raise ConversionError(
          f"QuantizationDebugger could not quantize model "
          f"{keras_model.name!r}: {str(e).strip().splitlines()[0]}") from e

  def _options(self, nodes, ops, fully_quantize):
    return self._tf.lite.experimental.QuantizationDebugOptions(
        denylisted_nodes=list(nodes) or None, denylisted_ops=list(ops) or None,
        fully_quantize=fully_quantize)

  def _input_order(self) -> List[str]:
    interp = inspection.interpreter(self.debugger.quant_model)
    by_index = {d["index"]: name for name, d in
                interp.get_signature_runner().get_input_details().items()}
    return [by_index[d["index"]] for d in interp.get_input_details()]

  def layer_errors(self, nodes=(), ops=()) -> List[LayerError]:
    # Measured with float I/O: the debugger quantizes int8 inputs without
    # clipping, and inner tensors are the same either way.
    self.debugger.options = self._options(nodes, ops, False)
    self.debugger.run()
    dump = io.StringIO()
    self.debugger.layer_statistics_dump(dump)
    return _parse_layer_errors(dump.getvalue())

  def model(self, nodes=(), ops=()) -> bytes:
    self.debugger.options = self._options(nodes, ops, self._fully_quantize)
    return self.debugger.get_nondebug_quantized_model()


def analyze(keras_model,
            calibration_inputs,
            debug_inputs,
            io_type: IoType = IoType.FLOAT32,
            float_layers: Sequence[str] = (),
            float_ops: Sequence[str] = (),
            max_auto_float_layers: int = 0,
            max_relative_output_error: Optional[float] = None,
            float_model_bytes: Optional[bytes] = None,
            preprocessing: Sequence[str] = ()) -> DebugResult:
  """Reports per-layer int8 error and keeps layers float as asked.

  Args:
    keras_model: A functional or sequential tf_keras model.
    calibration_inputs: Input name -> batch, for calibration.
    debug_inputs: Input name -> batch on which errors are measured.
    io_type: I/O dtype of the model (float32, or int8 for a selectively
      quantized model; uint8 only when nothing is kept float).
    float_layers: Keras layer names whose quantized tensors stay float.
    float_ops: TFLite op types (e.g. 'CONV_2D') that stay float.
    max_auto_float_layers: Limit of tensors the automatic mode keeps float;
      0 disables it.
    max_relative_output_error: The automatic mode's error budget.
    float_model_bytes: The model converted as float32, the reference of the
      relative output error; converted here when None.
    preprocessing: Tensor names of preprocessing (a Transform graph folded
      in front of the model) kept float together: raw features have ranges
      unlike the model's, and e.g. `tft.scale_to_z_score`'s select between a
      raw and a scaled branch would be quantized on the raw branch's range.

  Returns:
    The report, and the selectively quantized model if anything is float.

  Raises:
    CompressionConfigError: unknown layer or op names, or a combination the
      debugger cannot produce.
    ConversionError: the debugger cannot quantize the model.
  """
  io_type = IoType(io_type)
  selective = bool(float_layers or float_ops or max_auto_float_layers or
                   preprocessing)
  if selective and io_type not in SELECTIVE_IO_TYPES:
    raise CompressionConfigError(
        f"io_type {io_type.value!r} cannot be combined with float layers; "
        f"allowed: {[t.value for t in SELECTIVE_IO_TYPES]}")
  if max_auto_float_layers and max_relative_output_error is None:
    raise CompressionConfigError(
        "max_auto_float_layers > 0 needs max_relative_output_error")
  session = DebugSession(keras_model, calibration_inputs, debug_inputs,
                     fully_quantize=io_type is IoType.INT8)
  layers = session.layer_errors()
  known_ops = sorted({l.op_name for l in layers})
  unknown = [op for op in float_ops if op not in known_ops]
  if unknown:
    raise CompressionConfigError(
        f"float_ops {unknown} are not quantized ops of the model; allowed: "
        f"{known_ops}")
  requested = resolve_float_layers(float_layers, layers)
  reference = inference.predict(
      float_model_bytes or tflite_converter.convert_keras(keras_model),
      debug_inputs)
  measure = lambda nodes, ops: relative_output_error(
      inference.predict(session.model(nodes, ops), debug_inputs), reference)
  initial = measure([], [])
  nodes, ops, decisions = _keep_requested_float(float_ops, requested, measure)
  kept = [l.tensor_name for l in layers if l.tensor_name in set(preprocessing)
          and l.tensor_name not in nodes]
  if kept:
    nodes.extend(kept)
    decisions.append(FloatDecision(
        ", ".join(kept), f"preprocessing: the {len(kept)} quantized tensors "
        "of the Transform graph are kept float", measure(nodes, ops)))
  error = decisions[-1].relative_output_error if decisions else initial
  if io_type in SELECTIVE_IO_TYPES:
    error = _keep_fragile_float(layers, nodes, ops, decisions, error, measure)
  budget = max_relative_output_error if max_auto_float_layers else None
  if budget is not None:
    error = _keep_worst_float(session, nodes, ops, decisions, error, budget,
                              max_auto_float_layers, measure)
  return DebugResult(
      layers=layers, float_nodes=nodes, float_ops=ops, decisions=decisions,
      initial_relative_output_error=initial, relative_output_error=error,
      error_budget=budget,
      budget_met=None if budget is None else error <= budget,
      num_debug_examples=ptq_convert.num_examples(debug_inputs),
      model_bytes=session.model(nodes, ops) if (nodes or ops) else None)


def _keep_requested_float(float_ops, requested, measure):
  """Denylists the named op types and layers; returns nodes, ops, decisions."""
  nodes, ops, decisions = [], [], []
  for op in float_ops:
    ops.append(op)
    decisions.append(FloatDecision(op, "float_ops: op type kept float",
                                   measure(nodes, ops)))
  for layer, tensors in requested.items():
    for tensor in tensors:
      if tensor not in nodes:
        nodes.append(tensor)
        decisions.append(FloatDecision(
            tensor, f"float_layers: output of Keras layer {layer!r}",
            measure(nodes, ops)))
  return nodes, ops, decisions


# Ops whose int8 versions lose range (division, exp, log, roots), by TFLite
# op or by the TF op in the tensor's name (x / const becomes MUL:
# 'norm/truediv'); tried float past this error in quantization steps
# (rounding alone is ~0.29).
FRAGILE_OPS = ("DIV", "EXP", "LOG", "RSQRT", "SQRT", "POW")
_FRAGILE_NAME = re.compile(r"(^|[/;_])(truediv|div|exp|log|sqrt|rsqrt|pow)"
                           r"([/;:_]|$)")
FRAGILE_RMSE_OVER_SCALE = 10.0


def _fragile(layer) -> bool:
  return (layer.op_name in FRAGILE_OPS or
          _FRAGILE_NAME.search(layer.tensor_name.lower()) is not None)


def _keep_fragile_float(layers, nodes, ops, decisions, error, measure) -> float:
  """Keeps fragile tensors (FRAGILE_OPS far off their scale) float where that
  lowers the output error, e.g. a Keras Normalization layer's truediv.

  Appends to `nodes` and `decisions`; returns the error.
  """
  fragile = sorted((l for l in layers if _fragile(l) and
                    l.rmse_over_scale > FRAGILE_RMSE_OVER_SCALE and
                    l.tensor_name not in nodes),
                   key=lambda l: -l.rmse_over_scale)
  for layer in fragile:
    error, _ = _try_float(
        layer.tensor_name,
        f"fragile: {layer.op_name} tensor off by {layer.rmse_over_scale:.1f} "
        f"quantization steps (rmse_over_scale > {FRAGILE_RMSE_OVER_SCALE:g})",
        nodes, ops, decisions, error, measure)
  return error


def _try_float(tensor, why, nodes, ops, decisions, error, measure):
  """Keeps `tensor` float if that lowers the output error; notes it either
  way. Returns (the error after, whether `tensor` was kept float)."""
  measured = measure(nodes + [tensor], ops)
  if measured < error:
    nodes.append(tensor)
    decisions.append(FloatDecision(tensor, why, measured))
    return measured, True
  decisions.append(FloatDecision(
      tensor, f"{why}; left int8: kept float, the model's relative output "
      f"error would be {measured:.4g}, not below {error:.4g}",
      error, applied=False))
  return error, False


def _keep_worst_float(session, nodes, ops, decisions, error, budget,
                      limit, measure) -> float:
  """Keeps the worst tensors float while that lowers the output error.

  Tries the remaining quantized tensors worst first (by rmse_over_scale) and
  keeps one float only when the measured relative output error falls: a
  float island between int8 neighbours can make the output worse (its
  quantize/dequantize boundaries), and such a tensor is put back and noted.
  Stops at `error <= budget`, after `limit` kept tensors, or after
  3 x `limit` tries. Appends to `nodes` and `decisions`; returns the error,
  never above the one it started from.
  """
  kept, tried = 0, set()
  for _ in range(3 * limit):
    if error <= budget or kept >= limit:
      break
    candidates = [l for l in session.layer_errors(nodes, ops)
                  if l.tensor_name not in nodes and
                  l.tensor_name not in tried and l.rmse_over_scale > 0]
    if not candidates:
      break
    worst = max(candidates, key=lambda l: l.rmse_over_scale)
    tried.add(worst.tensor_name)
    error, floated = _try_float(
        worst.tensor_name,
        f"auto: worst remaining {worst.op_name} tensor (rmse_over_scale "
        f"{worst.rmse_over_scale:.3f}); relative output error {error:.4g} "
        f"exceeded the budget {budget:.4g}", nodes, ops, decisions, error,
        measure)
    kept += floated
  return error


def layer_report_csv(result: DebugResult) -> str:
  """The per-layer report as CSV, with a `kept_float` and a `reason` column."""
  reasons = {name: d.reason for d in result.decisions
             for name in d.kept_float.split(", ")}
  fields = [f.name for f in dataclasses.fields(LayerError)]
  out = io.StringIO()
  writer = csv.DictWriter(out, fields + ["kept_float", "reason"],
                          lineterminator="\n")
  writer.writeheader()
  for layer in result.layers:
    reason = reasons.get(layer.tensor_name) or reasons.get(layer.op_name, "")
    writer.writerow(dict(dataclasses.asdict(layer), kept_float=bool(reason),
                         reason=reason))
  return out.getvalue()


def layer_report_json(result: DebugResult) -> dict:
  """The report as a JSON-serializable dict (without the model bytes)."""
  report = dataclasses.asdict(result)
  report.pop("model_bytes")
  return report
