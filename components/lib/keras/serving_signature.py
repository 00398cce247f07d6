"""Re-creating a tf.Example `serving_default` for a model whose shapes changed.

A model that keeps the original's weight shapes is saved under the
original's signatures (`keras_export.save_with_original_signatures`). A model
rebuilt with fewer channels cannot be: its signature must be traced again.
The usual TFX serving signature parses serialized tf.Examples, applies the
Transform graph when the model reads transformed features, and calls the
model. The parse spec is read from the original's `saved_model.pb`
(`saved_model_info`); the signature is traced again around the new model,
and the reconstruction is proven first by running the ORIGINAL model under
it and comparing with the original signature on real serialized examples.
"""

from typing import Mapping, Optional, Sequence

import numpy as np

from tfx_compression.errors import UnsupportedModelError
from tfx_compression.lib.keras import saved_model_io
from tfx_compression.lib.keras import saved_model_info

SERVING_DEFAULT = saved_model_info.SERVING_DEFAULT
# The re-created signature must match the original to float precision.
MAX_ABS_DIFF = 1e-5


def _serving_fn(model, spec: Mapping[str, object], input_name: str,
                output_keys: Sequence[str], transform_layer=None):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  model_inputs = list(model.input_names)
  available = set(spec)
  if transform_layer is None:
    missing = [n for n in model_inputs if n not in available]
    if missing:
      raise UnsupportedModelError(
          f"{SERVING_DEFAULT} parses {sorted(spec)} but the model's inputs "
          f"{missing} are not among them, and no Transform graph was given")

  @tf.function(input_signature=[tf.TensorSpec([None], tf.string,
                                              name=input_name)])
  def serve(serialized):
    features = tf.io.parse_example(serialized, dict(spec))
    if transform_layer is not None:
      features = transform_layer(features)
    outputs = model({k: features[k] for k in model_inputs})
    if not isinstance(outputs, (list, tuple)):
      outputs = [outputs]
    return dict(zip(output_keys, outputs))

  return serve


def _output_keys(info, model):
  keys = info.output_keys
  if len(keys) != len(model.outputs):
    raise UnsupportedModelError(
        f"{SERVING_DEFAULT} returns {keys} but the model has "
        f"{len(model.outputs)} outputs")
  if len(keys) > 1:
    if set(keys) != set(model.output_names):
      raise UnsupportedModelError(
          f"{SERVING_DEFAULT} returns {keys}; with several outputs they must "
          f"be the model's output names {model.output_names}")
    keys = list(model.output_names)
  return keys


def save_with_rebuilt_signature(new_model, loaded, export_path: str,
                                serialized_examples: Sequence[bytes],
                                transform_layer=None) -> None:
  """Saves `new_model` with a re-traced copy of the original serving_default.

  Args:
    new_model: A Keras model with the original's input and output names.
    loaded: The original `model_loading.LoadedModel` (its Keras model).
    export_path: Where to write the new SavedModel.
    serialized_examples: Real serialized tf.Examples the original serves; the
      re-created signature must reproduce the original's outputs on them.
    transform_layer: The pipeline's Transform graph as a layer, when the
      model reads transformed features; it is saved with the new model.

  Raises:
    UnsupportedModelError: the original signature cannot be re-created (it
      does more than parse dense features, transform and call the model),
      with the reason.
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  info = loaded.info
  if not info.serving.takes_serialized_examples:
    raise UnsupportedModelError(
        f"{SERVING_DEFAULT} of {info.path} does not take serialized "
        "tf.Examples; only such a signature can be re-created")
  spec = {k: f.to_tf() for k, f in info.serving_features.items()}
  original_model = loaded.keras_model
  keys = _output_keys(info, original_model)
  (input_name,) = info.serving.inputs
  if not serialized_examples:
    raise UnsupportedModelError(
        "no serialized examples to check the re-created signature on")
  batch = tf.constant(list(serialized_examples))
  expected = loaded.serving_outputs(list(serialized_examples))
  got = _serving_fn(original_model, spec, input_name, keys,
                    transform_layer)(batch)
  for key in keys:
    diff = float(np.max(np.abs(expected[key] - got[key].numpy())))
    if diff > MAX_ABS_DIFF:
      raise UnsupportedModelError(
          f"{SERVING_DEFAULT} does more than parse {sorted(spec)}"
          f"{', apply the Transform graph' if transform_layer else ''} and "
          f"call the model (output {key!r} differs by {diff:.3g} when "
          "re-created); it cannot be re-created for a reshaped model")
  if transform_layer is not None:
    new_model.tft_layer = transform_layer  # Tracked: its assets are saved.
  saved_model_io.save_keras_model(new_model, export_path, {
      SERVING_DEFAULT: _serving_fn(new_model, spec, input_name, keys,
                                   transform_layer)})
