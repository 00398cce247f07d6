"""Artifacts in, `conversion_input.ConversionInput` out: shared by every
TFLite-producing executor.

Resolves the input Model (Keras metadata or `tf.saved_model.save`), the
optional Transform graph and the validation examples into the function to
convert, its feature space and real inputs (checked after conversion by
`conversion_input.serving_check`).
"""

from typing import Optional

from tfx_compression.framework import artifact_io
from tfx_compression.lib.conversion import conversion_input
from tfx_compression.errors import InsufficientExamplesError


def prepare(model_uri: str, examples, transform: Optional[str], inputs,
            split: str, limit: int, component: str,
            loaded=None) -> conversion_input.ConversionInput:
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
  from tfx_compression.lib.data import example_stats
  from tfx_compression.lib.data import examples_io
  from tfx_compression.lib.conversion import model_loading
  from tfx_compression.lib.conversion import conversion_source
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
  resolved = conversion_source.resolve(loaded, inputs, transform, keys, source)
  if stats is not None:
    example_stats.check_features(stats, resolved.space.parse,
                                 f"the {component} model")
  return conversion_input.ConversionInput(
      loaded=loaded, source=resolved, serialized=serialized,
      inputs=conversion_source.read_inputs(resolved.space, serialized),
      examples_source=source)
