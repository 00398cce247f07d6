"""LiteRT's AI Edge Quantizer as a post-training quantization backend.

The quantizer works on the float .tflite model: a recipe maps op scopes
(regular expressions over an op's output tensor names, as the quantizer
writes them: "name;") to a precision. The calibration pass records every
tensor's range once (`Calibrated`); each recipe then quantizes from it, so a
search over recipes pays for one calibration.
"""

import dataclasses
import math
import re
from typing import Dict, List, Mapping, Optional, Sequence

import numpy as np

from tfx_compression.errors import CompressionConfigError
from tfx_compression.errors import ConversionError
from tfx_compression.lib.options.quantization import BLOCK_SIZES
from tfx_compression.lib.options.quantization import IoType
from tfx_compression.lib.options.quantization import Precision
from tfx_compression.lib.options.quantization import QuantizationMode

# The per-tensor comparisons of the quantizer's own validation.
VALIDATION_METRICS = ("mse", "snr", "cosine_similarity")


@dataclasses.dataclass(frozen=True)
class Op:
  """One op of the float model, as recipes address it."""

  outputs: tuple  # its output tensor names (a name may hold ';' itself)
  op_name: str  # e.g. FULLY_CONNECTED

  @property
  def scope(self) -> str:
    """The quantizer's name for the op: its outputs joined by ';'."""
    return ";".join(self.outputs)


def scope_regex(scope: str) -> str:
  """The regex that selects exactly the op whose scope is `scope`."""
  return "^" + re.escape(scope) + ";$"


def _signature_data(float_bytes: bytes, inputs: Mapping[str, np.ndarray]):
  from ai_edge_litert.interpreter import Interpreter  # pylint: disable=g-import-not-at-top
  (key,) = list(Interpreter(model_content=float_bytes).get_signature_list())[:1]
  n = len(next(iter(inputs.values())))
  return {key: [{name: np.asarray(values[i:i + 1])
                 for name, values in inputs.items()} for i in range(n)]}


def ops_of(float_bytes: bytes) -> List[Op]:
  """The main subgraph's ops with an output tensor, in graph order."""
  from ai_edge_litert.interpreter import Interpreter  # pylint: disable=g-import-not-at-top
  interp = Interpreter(model_content=float_bytes)
  names = {d["index"]: d["name"] for d in interp.get_tensor_details()}
  ops = []
  for op in interp._get_ops_details():  # pylint: disable=protected-access
    outputs = [names[i] for i in op["outputs"] if i >= 0 and names.get(i)]
    if outputs:
      ops.append(Op(tuple(outputs), op["op_name"]))
  return ops


def _quantizer(float_bytes: bytes):
  from ai_edge_quantizer import quantizer  # pylint: disable=g-import-not-at-top
  return quantizer.Quantizer(bytearray(float_bytes))


class Calibrated:
  """The float model with every tensor's range recorded on the calibration
  sample; `quantize` writes a model for a mode or a per-scope assignment."""

  def __init__(self, float_bytes: bytes,
               calibration: Optional[Mapping[str, np.ndarray]]):
    self.float_bytes = bytes(float_bytes)
    self._qsvs = None
    if calibration:
      q = _quantizer(self.float_bytes)
      _static(q, ".*", Precision.INT8)
      try:
        self._qsvs = q.calibrate(_signature_data(self.float_bytes,
                                                 calibration))
      except Exception as e:  # The quantizer raises plain errors.
        raise ConversionError(
            "LiteRT's AI Edge Quantizer could not calibrate the model: "
            f"{str(e).strip().splitlines()[0]}") from e

  def quantize(self, mode: QuantizationMode, io_type: IoType = IoType.FLOAT32,
               block_size: int = 0,
               assignment: Optional[Mapping[str, Precision]] = None) -> bytes:
    """The model in `mode`, with `assignment` (op scope -> precision)
    overriding it per op (static modes only).

    Raises:
      CompressionConfigError: a mode, I/O type or block size this backend
        does not write.
      ConversionError: the quantizer fails on this model.
    """
    from ai_edge_quantizer import algorithm_manager, qtyping  # pylint: disable=g-import-not-at-top
    mode, io_type = QuantizationMode(mode), IoType(io_type)
    if block_size not in BLOCK_SIZES:
      raise CompressionConfigError(
          f"block_size must be one of {list(BLOCK_SIZES)}; got {block_size!r}")
    q = _quantizer(self.float_bytes)
    everything = qtyping.TFLOperationName.ALL_SUPPORTED
    if mode is QuantizationMode.DYNAMIC_RANGE:
      q.add_dynamic_config(".*", everything, 8)
    elif mode is QuantizationMode.INT4_WEIGHTS:
      _int4_weights(q, self.float_bytes, block_size)
    elif mode in (QuantizationMode.INT8, QuantizationMode.INT16X8):
      if self._qsvs is None:
        raise CompressionConfigError(
            f"mode {mode.value!r} needs calibration examples; got none.")
      _static(q, ".*", Precision.INT8 if mode is QuantizationMode.INT8
              else Precision.INT16X8)
      for scope, precision in sorted((assignment or {}).items()):
        _static(q, scope_regex(scope), Precision(precision))
      if io_type is IoType.FLOAT32:
        for io_op in (qtyping.TFLOperationName.INPUT,
                      qtyping.TFLOperationName.OUTPUT):
          q.update_quantization_recipe(
              ".*", io_op,
              algorithm_key=algorithm_manager.AlgorithmName.NO_QUANTIZE)
      elif not (mode is QuantizationMode.INT8 and io_type is IoType.INT8 or
                mode is QuantizationMode.INT16X8 and io_type is IoType.INT16):
        raise CompressionConfigError(
            f"io_type {io_type.value!r} is not written by backend "
            f"'ai_edge_quantizer' in mode {mode.value!r}; allowed: "
            f"'float32' or the mode's own integer type")
    else:
      raise CompressionConfigError(
          f"mode {mode.value!r} is not written by backend "
          "'ai_edge_quantizer'; allowed: 'dynamic_range', 'int8', "
          "'int16x8', 'int4_weights'")
    try:
      result = q.quantize(self._qsvs, enable_progress_report=False)
    except Exception as e:  # The quantizer raises plain errors.
      raise ConversionError(
          "LiteRT's AI Edge Quantizer could not quantize the model in mode "
          f"{mode.value!r}: {str(e).strip().splitlines()[0]}") from e
    return bytes(result.quantized_model)


def _static(q, regex: str, precision: Precision) -> None:
  from ai_edge_quantizer import algorithm_manager, qtyping  # pylint: disable=g-import-not-at-top
  everything = qtyping.TFLOperationName.ALL_SUPPORTED
  if precision is Precision.FLOAT32:
    q.update_quantization_recipe(
        regex, everything,
        algorithm_key=algorithm_manager.AlgorithmName.NO_QUANTIZE)
  else:
    q.add_static_config(regex, everything,
                        16 if precision is Precision.INT16X8 else 8, 8)


def _int4_weights(q, float_bytes: bytes, block_size: int) -> None:
  """int4 weights, per block where the op's input depth divides into
  blocks, else per channel (a 10-wide input has no 32-blocks)."""
  from ai_edge_quantizer import qtyping  # pylint: disable=g-import-not-at-top
  everything = qtyping.TFLOperationName.ALL_SUPPORTED
  q.add_dynamic_config(".*", everything, 4)
  if not block_size:
    return
  granularity = qtyping.QuantGranularity(f"BLOCKWISE_{block_size}")
  for scope, depth in _weight_depths(float_bytes).items():
    if depth % block_size == 0:
      q.add_dynamic_config(scope_regex(scope),
                           qtyping.TFLOperationName.FULLY_CONNECTED, 4,
                           granularity)


def _weight_depths(float_bytes: bytes) -> Dict[str, int]:
  """Op scope -> the input depth of a FULLY_CONNECTED op's weights."""
  from ai_edge_litert.interpreter import Interpreter  # pylint: disable=g-import-not-at-top
  interp = Interpreter(model_content=float_bytes)
  details = {d["index"]: d for d in interp.get_tensor_details()}
  depths = {}
  for op in interp._get_ops_details():  # pylint: disable=protected-access
    if op["op_name"] != "FULLY_CONNECTED" or len(op["inputs"]) < 2:
      continue
    weights = details.get(op["inputs"][1])
    outputs = [details[i]["name"] for i in op["outputs"] if i >= 0]
    if weights is not None and len(weights["shape"]) == 2 and outputs:
      depths[";".join(outputs)] = int(weights["shape"][1])
  return depths


def tensor_validation(float_bytes: bytes, quantized_bytes: bytes,
                      inputs: Mapping[str, np.ndarray]) -> List[dict]:
  """The quantizer's per-tensor comparison of the quantized model with the
  float one on `inputs`: one row per tensor (mse, snr in dB, cosine)."""
  from ai_edge_quantizer import quantizer  # pylint: disable=g-import-not-at-top
  from ai_edge_quantizer.utils import validation_utils  # pylint: disable=g-import-not-at-top
  metrics = [validation_utils.ValidationErrorMetric(m) for m in VALIDATION_METRICS]
  q = quantizer.Quantizer(bytearray(float_bytes),
                          previous_quantized_model=bytearray(quantized_bytes))
  result = q.validate(_signature_data(float_bytes, inputs),
                      error_metrics=metrics,
                      use_xnnpack=True, num_threads=1)
  rows = []
  for name, values in sorted(result.get_all_tensor_results().items()):
    row = {"tensor_name": name}
    for metric in VALIDATION_METRICS:
      value = values.get(metric)
      row[metric] = (None if value is None or not math.isfinite(float(value))
                     else float(value))
    rows.append(row)
  return rows


def sensitivity(rows: Sequence[dict], ops: Sequence[Op]) -> Dict[str, float]:
  """Op scope -> how much int8 hurts its output: -SNR (signal over error
  power) of its first output tensor, larger is worse; ops without a
  comparison are left out."""
  by_tensor = {r["tensor_name"]: r for r in rows}
  found = {}
  for op in ops:
    row = by_tensor.get(op.outputs[0])
    if row is not None and row["snr"] is not None:
      found[op.scope] = -row["snr"]
  return found
