"""Artifacts in, conversion source out: shared by every TFLite-producing executor.

Resolves the input Model (Keras metadata or `tf.saved_model.save`), the
optional Transform graph and the validation examples into the function to
convert, its feature space and real inputs; after conversion, checks the
TFLite model against `serving_default` on the same serialized records.
"""

import dataclasses
from typing import Any, Dict, List, Optional

from tfx_compression import artifact_io
from tfx_compression.errors import InsufficientExamplesError


@dataclasses.dataclass
class ConversionInput:
  """What a converting executor works from."""

  loaded: Any  # model_loading.LoadedModel
  source: Any  # tflite_source.TfliteSource
  serialized: List[bytes]  # validation records; empty without examples
  inputs: Optional[Dict[str, Any]]  # those records in the TFLite input space
  examples_source: str  # names the validation split in messages
  # For a fine-tuned source: the INPUT model over the same features, which
  # the serving check runs instead of the TFLite model (fine-tuning changes
  # answers; the check is about the feature path).
  reference: Any = None  # model_function.ModelFunction


def prepare(model_uri: str, examples, transform: Optional[str], inputs,
            split: str, limit: int, component: str,
            loaded=None) -> ConversionInput:
  """Loads the model and reads `limit` records of `split` in its input space.

  Args:
    model_uri: The input Model artifact's uri.
    examples: The Examples artifact, or None.
    transform: The Transform graph directory, or None.
    inputs: `TfliteInputs` of the model to produce.
    split: The validation split.
    limit: Number of validation records.
    component: For messages.
    loaded: An already loaded model (`model_loading.LoadedModel`).
  """
  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib import example_stats
  from tfx_compression.lib import examples_io
  from tfx_compression.lib import model_loading
  from tfx_compression.lib import tflite_source
  if loaded is None:
    loaded = model_loading.load_for_conversion(
        artifact_io.keras_dir(model_uri, component))
  serialized, keys, source, stats = [], None, "no examples", None
  if examples is not None:
    files = artifact_io.split_files(examples, split)
    source = f"split {split!r} of Examples {examples.uri}"
    stats = example_stats.scan(files, source)
    keys = stats.keys
    serialized = examples_io.read_serialized(files, limit)
    if not serialized:
      raise InsufficientExamplesError(
          f"{source} holds no examples (files {files}); it validates the "
          f"{component} output.")
  resolved = tflite_source.resolve(loaded, inputs, transform, keys, source)
  if stats is not None:
    example_stats.check_features(stats, resolved.space.parse,
                                 f"the {component} model")
  return ConversionInput(
      loaded=loaded, source=resolved, serialized=serialized,
      inputs=tflite_source.read_inputs(resolved.space, serialized),
      examples_source=source)


def serving_check(prepared: ConversionInput, model_bytes: bytes,
                  min_argmax_agreement: float):
  """The end-to-end agreement with `serving_default`, or None if not comparable."""
  from tfx_compression.lib import lite_conversion  # pylint: disable=g-import-not-at-top
  if not (prepared.serialized and prepared.source.comparable_to_serving and
          prepared.loaded.info.serving.takes_serialized_examples):
    return None
  reference = prepared.reference
  return lite_conversion.check_against_serving(
      model_bytes, prepared.loaded, prepared.serialized, prepared.inputs,
      min_argmax_agreement,
      predict=reference.predict if reference is not None else None)
