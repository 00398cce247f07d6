"""What the accuracy-budget search can change, per backend.

- 'tflite': the converter's QuantizationDebugger keeps chosen tensors float
  (int8 or float32 per tensor); whole-model int16x8 and float16 are the
  other candidates. Sensitivity: RMSE in quantization steps per tensor.
- 'ai_edge_quantizer': a recipe per op scope (int8, int16x8 or float32).
  Sensitivity: the quantizer's own per-tensor SNR of full int8.

Either way a Transform graph folded in front of the model is one unit: its
tensors are promoted together.
"""

import dataclasses
from typing import Callable, Dict, List, Mapping, Sequence, Tuple

import numpy as np

from tfx_compression.errors import CompressionConfigError
from tfx_compression.lib.options.quantization import IoType
from tfx_compression.lib.options.quantization import Precision
from tfx_compression.lib.options.quantization import QuantizationMode
from tfx_compression.lib.quantization.budget_search import Unit

TRANSFORM_UNIT = "transform graph"


@dataclasses.dataclass
class SearchSpace:
  """The units, how a configuration becomes a model, and the alternatives."""

  units: List[Unit]
  build: Callable[[Dict[str, str]], bytes]
  levels: Tuple[Precision, ...]
  whole_model: List[Tuple[str, Callable[[], bytes]]]


def _group_preprocessing(units: List[Unit], preprocessing) -> List[Unit]:
  """Units whose members are all Transform tensors become one unit."""
  prep = set(preprocessing)
  inside = [u for u in units if prep and all(
      any(name in prep for name in m.split(";")) or m in prep
      for m in u.members)]
  if not inside:
    return units
  group = Unit(TRANSFORM_UNIT, tuple(m for u in inside for m in u.members),
               max(u.sensitivity for u in inside), "preprocessing")
  return [u for u in units if u not in inside] + [group]


def tflite(function, calibration: Mapping[str, np.ndarray],
           debug_inputs: Mapping[str, np.ndarray], io_type: IoType,
           float_model: bytes, float_layers: Sequence[str] = (),
           float_ops: Sequence[str] = ()) -> SearchSpace:
  """The converter's space: per-tensor float32 over full int8.

  The user's `float_layers` and `float_ops` stay float in every
  configuration; with every tensor float the model is `float_model`.
  """
  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.conversion import tflite_converter
  from tfx_compression.lib.options.conversion import Optimization
  from tfx_compression.lib.quantization import layer_errors
  from tfx_compression.lib.quantization import ptq_convert
  # pylint: enable=g-import-not-at-top
  session = layer_errors.DebugSession(function, calibration, debug_inputs,
                                      fully_quantize=io_type is IoType.INT8)
  layers = session.layer_errors()
  fixed = sorted({t for tensors in layer_errors.resolve_float_layers(
      float_layers, layers).values() for t in tensors})
  units = [Unit(l.tensor_name, (l.tensor_name,), l.rmse_over_scale,
                l.op_name) for l in layers
           if l.tensor_name not in fixed and l.op_name not in float_ops]
  units = _group_preprocessing(
      units, layer_errors.preprocessing_tensors(function))
  members = {u.name: u.members for u in units}

  def build(assignment: Dict[str, str]) -> bytes:
    nodes = list(fixed) + [m for name, precision in sorted(assignment.items())
                           if precision == Precision.FLOAT32.value
                           for m in members[name]]
    if {l.tensor_name for l in layers} <= set(nodes) and io_type is \
        IoType.FLOAT32:
      return float_model  # The debugger cannot write a model with no int8.
    if not nodes and not float_ops:  # The converter's own full int8.
      return tflite_converter.convert_keras(
          function, configure=ptq_convert.configure_fn(
              QuantizationMode.INT8, io_type, calibration))
    return session.model(nodes, list(float_ops))

  whole = []
  if io_type is IoType.FLOAT32:
    whole = [
        ("int16x8 (whole model)", lambda: tflite_converter.convert_keras(
            function, configure=ptq_convert.configure_fn(
                QuantizationMode.INT16X8, IoType.FLOAT32, calibration))),
        ("float16 (whole model)", lambda: tflite_converter.convert_keras(
            function, optimization=Optimization.FLOAT16))]
  return SearchSpace(units, build, (Precision.FLOAT32,), whole)


def ai_edge(calibrated, debug_inputs: Mapping[str, np.ndarray],
            io_type: IoType, float_layers: Sequence[str] = (),
            preprocessing: Sequence[str] = ()) -> SearchSpace:
  """LiteRT's quantizer's space: int8, int16x8 or float32 per op.

  Args:
    calibrated: An `ai_edge.Calibrated` float model.
    debug_inputs: Examples the per-tensor SNR is measured on.
    io_type: float32, or int8 (the model's I/O quantized).
    float_layers: Keras layer names whose ops stay float32 throughout.
    preprocessing: Tensor names of a folded-in Transform graph.
  """
  from tfx_compression.lib.quantization import ai_edge as ai_edge_lib  # pylint: disable=g-import-not-at-top
  ops = ai_edge_lib.ops_of(calibrated.float_bytes)
  unknown = [l for l in float_layers
             if not any(_names_layer(op.scope, [l]) for op in ops)]
  if unknown:
    raise CompressionConfigError(
        f"float_layers entries {unknown} name no op of the model; allowed: "
        "Keras layer names appearing in these op scopes: "
        f"{[op.scope for op in ops]}")
  fixed = {op.scope: Precision.FLOAT32 for op in ops
           if _names_layer(op.scope, float_layers)}
  int8 = calibrated.quantize(QuantizationMode.INT8, io_type,
                             assignment=fixed)
  sensitivity = ai_edge_lib.sensitivity(ai_edge_lib.tensor_validation(
      calibrated.float_bytes, int8, debug_inputs), ops)
  units = [Unit(op.scope, (op.scope,), sensitivity[op.scope], op.op_name)
           for op in ops if op.scope in sensitivity and op.scope not in fixed]
  units = _group_preprocessing(units, preprocessing)
  members = {u.name: u.members for u in units}

  def build(assignment: Dict[str, str]) -> bytes:
    scopes = dict(fixed)
    for name, precision in assignment.items():
      scopes.update({m: Precision(precision) for m in members[name]})
    return calibrated.quantize(QuantizationMode.INT8, io_type,
                               assignment=scopes)

  return SearchSpace(units, build, (Precision.INT16X8, Precision.FLOAT32), [])


def _names_layer(scope: str, layers: Sequence[str]) -> bool:
  from tfx_compression.lib.quantization import layer_errors  # pylint: disable=g-import-not-at-top
  return any(layer in layer_errors.layer_names_of(scope) for layer in layers)
