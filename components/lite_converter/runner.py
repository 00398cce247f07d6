"""The LiteConverter's work on plain objects: convert, validate, compare with serving."""

import dataclasses
from typing import Any, Optional


@dataclasses.dataclass(frozen=True)
class Converted:
  result: Any  # validated_conversion.ConversionResult
  serving: Optional[Any]  # post_validation.Agreement with serving_default


def sparse(config, pruning_policy: str) -> bool:
  """Whether to store weights sparse: config `sparse_encoding`, or with
  'auto' whether the input was pruned for XNNPACK."""
  from tfx_compression.lib.options.conversion import SparseEncoding  # pylint: disable=g-import-not-at-top
  if config.sparse_encoding is SparseEncoding.AUTO:
    return pruning_policy == "xnnpack"
  return config.sparse_encoding is SparseEncoding.SPARSE


def _keep_sparse(converter) -> None:
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  converter.optimizations = list(converter.optimizations) + [
      tf.lite.Optimize.EXPERIMENTAL_SPARSITY]


def convert(prepared, config, sparse_weights: bool = False) -> Converted:
  """Converts `prepared.source.function` as `config` says and proves it.

  Args:
    prepared: A `conversion_input.ConversionInput`.
    config: The `LiteConverterConfig`.
    sparse_weights: Store zero weights sparse (see `sparse`).

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
      min_argmax_agreement=config.min_argmax_agreement,
      configure=_keep_sparse if sparse_weights else None)
  return Converted(result, conversion_input.serving_check(
      prepared, result.model_bytes, config.min_argmax_agreement))
