"""Closed sets of post-training quantization options (no heavy imports).

Configs and specs import this module, so it must not import TensorFlow or Beam.
"""

import enum
from typing import Dict, Tuple

from tfx_compression.errors import CompressionConfigError


class QuantizationMode(str, enum.Enum):
  """What post-training quantization does to weights and activations.

  TFLite's defaults apply: convolution kernels are quantized per output
  channel, fully connected kernels and activations per tensor.
  """

  # int8 weights, float activations; no calibration data needed.
  DYNAMIC_RANGE = "dynamic_range"
  # float16 weights, float activations; no calibration data needed.
  FLOAT16 = "float16"
  # Full integer: int8 weights and activations; needs calibration data.
  INT8 = "int8"
  # int16 activations, int8 weights; needs calibration data.
  INT16X8 = "int16x8"
  # int4 weights (per channel, or per block of `block_size`), float
  # activations; backend 'ai_edge_quantizer' only; no calibration data.
  INT4_WEIGHTS = "int4_weights"


class QuantizationBackend(str, enum.Enum):
  """Which quantizer writes the .tflite model."""

  # The TFLite converter's post-training quantization (and its
  # QuantizationDebugger for layers kept float).
  TFLITE = "tflite"
  # LiteRT's AI Edge Quantizer: per-op recipes applied to the float .tflite.
  AI_EDGE_QUANTIZER = "ai_edge_quantizer"


class SearchObjective(str, enum.Enum):
  """What the accuracy-budget search minimises among the configurations
  that meet the budget."""

  SIZE = "size"  # bytes of the .tflite file
  LATENCY = "latency"  # median 1-thread latency at batch 1, LiteRT


class Precision(str, enum.Enum):
  """The precision one layer (or scope) runs at in a mixed-precision model."""

  INT8 = "int8"  # int8 weights and activations
  INT16X8 = "int16x8"  # int16 activations, int8 weights
  FLOAT32 = "float32"  # not quantized


class IoType(str, enum.Enum):
  """The dtype of the quantized model's inputs and outputs."""

  FLOAT32 = "float32"
  INT8 = "int8"
  UINT8 = "uint8"
  INT16 = "int16"


class SamplingStrategy(str, enum.Enum):
  """How the calibration sample is drawn from the examples."""

  # N examples drawn uniformly at random without replacement.
  UNIFORM = "uniform"
  # N examples of every label value.
  PER_CLASS = "per_class"
  # N examples in total, split across labels in proportion to their counts.
  PROPORTIONAL = "proportional"


# The I/O types each mode supports (the TFLite converter's rules).
ALLOWED_IO_TYPES: Dict[QuantizationMode, Tuple[IoType, ...]] = {
    QuantizationMode.DYNAMIC_RANGE: (IoType.FLOAT32,),
    QuantizationMode.FLOAT16: (IoType.FLOAT32,),
    QuantizationMode.INT8: (IoType.FLOAT32, IoType.INT8, IoType.UINT8),
    QuantizationMode.INT16X8: (IoType.FLOAT32, IoType.INT16),
    QuantizationMode.INT4_WEIGHTS: (IoType.FLOAT32,),
}

# The modes each backend writes (LiteRT's quantizer has no float16 recipe;
# the converter no int4 weights).
BACKEND_MODES: Dict[QuantizationBackend, Tuple[QuantizationMode, ...]] = {
    QuantizationBackend.TFLITE: (
        QuantizationMode.DYNAMIC_RANGE, QuantizationMode.FLOAT16,
        QuantizationMode.INT8, QuantizationMode.INT16X8),
    QuantizationBackend.AI_EDGE_QUANTIZER: (
        QuantizationMode.DYNAMIC_RANGE, QuantizationMode.INT8,
        QuantizationMode.INT16X8, QuantizationMode.INT4_WEIGHTS),
}

# int4 weight block sizes LiteRT's quantizer supports (0: per channel).
BLOCK_SIZES: Tuple[int, ...] = (0, 32, 64, 128, 256)

# I/O types with which layers can be kept float (QuantizationDebugger's
# quantizer writes float I/O, or int8 I/O when it fully quantizes).
SELECTIVE_IO_TYPES: Tuple[IoType, ...] = (IoType.FLOAT32, IoType.INT8)


def needs_calibration(mode: QuantizationMode) -> bool:
  """Whether `mode` quantizes activations and so needs calibration examples."""
  return mode in (QuantizationMode.INT8, QuantizationMode.INT16X8)


def check_io_type(mode: QuantizationMode, io_type: IoType) -> None:
  """Raises CompressionConfigError unless `mode` supports `io_type`."""
  allowed = ALLOWED_IO_TYPES[mode]
  if io_type not in allowed:
    raise CompressionConfigError(
        f"io_type {io_type.value!r} is not supported with mode "
        f"{mode.value!r}; allowed: {', '.join(repr(t.value) for t in allowed)}")
