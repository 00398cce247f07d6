"""The PostTrainingQuantizer's work on plain objects: quantize, prove, compare."""

import dataclasses
from typing import Any, Mapping, Optional

import numpy as np


@dataclasses.dataclass(frozen=True)
class Quantized:
  result: Any  # post_training_quantization.QuantizationResult
  serving: Optional[Any]  # tflite_validate.Agreement with serving_default


def quantize(prepared, config,
             calibration: Optional[Mapping[str, np.ndarray]]) -> Quantized:
  """Quantizes `prepared.source.function` as `config` says and proves it.

  Args:
    prepared: A `conversion_input.ConversionInput` (validation records).
    config: The `PostTrainingQuantizerConfig`.
    calibration: The sampled calibration inputs (None without calibration).
  """
  # pylint: disable=g-import-not-at-top
  from tfx_compression import conversion_input
  from tfx_compression.lib import post_training_quantization
  result = post_training_quantization.post_training_quantize(
      prepared.source.function, config.mode, config.io_type, calibration,
      prepared.inputs, min_argmax_agreement=config.min_argmax_agreement,
      num_debug_examples=config.num_debug_examples,
      float_layers=config.float_layers, float_ops=config.float_ops,
      max_auto_float_layers=config.max_auto_float_layers,
      max_relative_output_error=config.max_relative_output_error)
  return Quantized(result, conversion_input.serving_check(
      prepared, result.conversion.model_bytes, config.min_argmax_agreement))
