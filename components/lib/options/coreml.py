"""Closed sets of Core ML conversion options (no heavy imports: configs use them)."""

import enum


class Precision(str, enum.Enum):
  """The ML Program's compute precision (coremltools `compute_precision`)."""

  FLOAT16 = "float16"
  FLOAT32 = "float32"


class WeightQuantization(str, enum.Enum):
  """Weight compression after conversion (coremltools.optimize.coreml)."""

  NONE = "none"
  # linear_quantize_weights, symmetric int8 per channel: weights stored as
  # int8 and dequantized at load (`constexpr_affine_dequantize`).
  INT8 = "int8"
