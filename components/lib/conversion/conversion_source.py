"""What a TFLite model is converted from, and how examples become its inputs.

By default a converted model takes the raw features its serving signature
parses (`TfliteInputs.SERVING`); when the model reads features computed by a
Transform graph, that graph is folded in front of it. `TfliteInputs.MODEL`
converts the model alone over its own inputs.
"""

import dataclasses
from typing import Iterable, Optional, Sequence

from tfx_compression.errors import InputMismatchError
from tfx_compression.errors import InsufficientExamplesError
from tfx_compression.lib.data import feature_space
from tfx_compression.lib.conversion import model_function
from tfx_compression.lib.options.conversion import TfliteInputs


@dataclasses.dataclass(frozen=True)
class TfliteSource:
  """The function to convert and the feature space of its inputs."""

  function: model_function.ModelFunction
  space: feature_space.FeatureSpace
  inputs: TfliteInputs
  # Whether `serving_default` can run on the same records (they hold every
  # feature it parses), so the converted model can be checked against it.
  comparable_to_serving: bool


def resolve(loaded, inputs: TfliteInputs, transform_dir: Optional[str],
            example_keys: Optional[Iterable[str]], source: str,
            function: Optional[model_function.ModelFunction] = None
            ) -> TfliteSource:
  """Chooses the function to convert for `inputs`.

  Args:
    loaded: The `model_loading.LoadedModel` (its info and model function).
    inputs: SERVING or MODEL.
    transform_dir: The pipeline's Transform graph directory, if any.
    example_keys: Features of the examples that will feed the model (None:
      no examples; the space then assumes the inputs are present).
    source: Names the examples in messages.
    function: The model function to convert instead of `loaded.function`
      (e.g. a fine-tuned model with the same inputs).

  Raises:
    InputMismatchError: SERVING inputs need a Transform graph that is not
      given, or the examples lack the features needed.
  """
  model = function or loaded.function
  serving = loaded.info.serving_features
  specs = model.input_specs
  keys = set(example_keys) if example_keys is not None else None
  if keys is not None and not keys:
    raise InsufficientExamplesError(
        f"{source} holds no examples (no record, so no feature to read): "
        "point the step at a split with records")
  comparable = keys is not None and serving is not None and set(serving) <= keys
  if inputs is TfliteInputs.MODEL or serving is None:
    space = (feature_space.direct(specs) if keys is None else
             feature_space.for_model(specs, keys, transform_dir, source))
    return TfliteSource(model, space, TfliteInputs.MODEL, comparable)
  if set(specs) <= set(serving):
    space = feature_space.FeatureSpace(
        parse={n: serving[n] for n in specs}, inputs=dict(specs),
        description="raw features parsed by serving_default")
  elif transform_dir:
    model = model.with_transform(feature_space.transform_layer(transform_dir),
                                 serving)
    space = feature_space.serving(serving)
  else:
    raise InputMismatchError(
        f"The model reads {sorted(specs)} but serving_default parses "
        f"{sorted(serving)}: the signature transforms the raw features. Pass "
        "the pipeline's transform_graph so the converted model takes the raw "
        "features with the Transform graph folded in, or set inputs='model' "
        "to convert the model alone over transformed features.")
  if keys is not None:
    absent = sorted(n for n, f in space.parse.items()
                    if n not in keys and not f.optional)
    if absent:
      raise InputMismatchError(
          f"{source} lacks the serving feature(s) {absent} the converted "
          f"model takes (features: {sorted(keys)}); pass the raw Examples "
          "(ExampleGen's output), not Transform's transformed_examples.")
  return TfliteSource(model, space, TfliteInputs.SERVING, comparable)


def read_inputs(space: feature_space.FeatureSpace, serialized: Sequence[bytes]):
  """Numpy inputs of `space` for serialized tf.Examples (all at once)."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  if not serialized:
    return None
  try:
    parsed = space.parse_fn()(tf.constant(list(serialized)))
  except tf.errors.InvalidArgumentError as e:
    expected = {n: f"{f.dtype}{list(f.shape)}" for n, f in space.parse.items()}
    raise InputMismatchError(
        f"The examples do not match the features {expected} read for the "
        f"model ({space.description}): {e.message}") from e
  return {k: v.numpy() for k, v in parsed.items()}
