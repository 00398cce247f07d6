"""A model prepared for conversion, and the check of its TFLite model
against `serving_default` on the same serialized records.

`tfx_compression.conversion_artifacts.prepare` builds it from artifacts.
"""

import dataclasses
from typing import Any, Dict, List, Optional


@dataclasses.dataclass
class ConversionInput:
  """What a converting executor works from."""

  loaded: Any  # model_loading.LoadedModel
  source: Any  # conversion_source.TfliteSource
  serialized: List[bytes]  # validation records; empty without examples
  inputs: Optional[Dict[str, Any]]  # those records in the TFLite input space
  examples_source: str  # names the validation split in messages
  # For a fine-tuned source: the INPUT model over the same features, which
  # the serving check runs instead of the TFLite model (fine-tuning changes
  # answers; the check is about the feature path).
  reference: Any = None  # model_function.ModelFunction


def serving_check(prepared: ConversionInput, model_bytes: bytes,
                  min_argmax_agreement: float):
  """The end-to-end agreement with `serving_default`, or None if not comparable."""
  from tfx_compression.lib.conversion import validated_conversion  # pylint: disable=g-import-not-at-top
  if not (prepared.serialized and prepared.source.comparable_to_serving and
          prepared.loaded.info.serving.takes_serialized_examples):
    return None
  reference = prepared.reference
  return validated_conversion.check_against_serving(
      model_bytes, prepared.loaded, prepared.serialized, prepared.inputs,
      min_argmax_agreement,
      predict=reference.predict if reference is not None else None)
