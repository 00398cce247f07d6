"""The LiteConverter's work on plain objects: convert, validate, compare with serving."""

import dataclasses
from typing import Any, Optional


@dataclasses.dataclass(frozen=True)
class Converted:
  result: Any  # validated_conversion.ConversionResult
  serving: Optional[Any]  # post_validation.Agreement with serving_default


def convert(prepared, config) -> Converted:
  """Converts `prepared.source.function` as `config` says and proves it.

  Args:
    prepared: A `conversion_input.ConversionInput`.
    config: The `LiteConverterConfig`.

  Raises:
    ConversionError, InputMismatchError, ModelValidationError: see
      `validated_conversion.convert_validated` and `check_against_serving`.
  """
  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.conversion import conversion_input
  from tfx_compression.lib.conversion import validated_conversion
  result = validated_conversion.convert_validated(
      prepared.source.function, prepared.inputs,
      optimization=config.optimization, op_set=config.op_set,
      min_argmax_agreement=config.min_argmax_agreement)
  return Converted(result, conversion_input.serving_check(
      prepared, result.model_bytes, config.min_argmax_agreement))
