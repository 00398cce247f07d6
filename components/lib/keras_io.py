"""Loading Keras models from SavedModel directories and describing their inputs."""

import dataclasses
import os
from typing import Dict, Tuple

from tfx_compression.errors import UnsupportedModelError
from tfx_compression.lib import tf_setup  # pylint: disable=unused-import

KERAS_METADATA_FILE = "keras_metadata.pb"
SAVED_MODEL_FILE = "saved_model.pb"


@dataclasses.dataclass(frozen=True)
class InputSpec:
  """One Keras model input: feature name, per-example shape and dtype name."""

  name: str
  shape: Tuple[int, ...]
  dtype: str


def check_keras_saved_model(path: str) -> None:
  """Raises UnsupportedModelError unless `path` is a Keras SavedModel directory."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  if not tf.io.gfile.exists(os.path.join(path, SAVED_MODEL_FILE)):
    found = sorted(tf.io.gfile.listdir(path)) if tf.io.gfile.isdir(path) else []
    raise UnsupportedModelError(
        f"No SavedModel at {path} (expected {SAVED_MODEL_FILE}; found "
        f"{found or 'nothing'}). Export the model with "
        "model.save(path, save_format='tf').")
  if not tf.io.gfile.exists(os.path.join(path, KERAS_METADATA_FILE)):
    raise UnsupportedModelError(
        f"The SavedModel at {path} is not a Keras model (no "
        f"{KERAS_METADATA_FILE}); it was probably written with "
        "tf.saved_model.save. Export it from tf_keras with "
        "model.save(path, save_format='tf').")


def load_keras_model(path: str, compile: bool = False):  # pylint: disable=redefined-builtin
  """Loads the tf_keras model saved at `path`.

  Args:
    path: A SavedModel directory written by tf_keras `model.save`.
    compile: Whether to restore the training configuration too.

  Returns:
    The `tf_keras.Model`; its `.signatures` keep the exported signatures.

  Raises:
    UnsupportedModelError: the directory is not a loadable Keras SavedModel.
  """
  check_keras_saved_model(path)
  import tf_keras  # pylint: disable=g-import-not-at-top
  try:
    return tf_keras.models.load_model(path, compile=compile)
  except (ValueError, TypeError, KeyError) as e:
    raise UnsupportedModelError(
        f"tf_keras could not load the model at {path}: {e}") from e


def input_specs(model) -> Dict[str, InputSpec]:
  """Returns the model's inputs keyed by name, in Keras input order."""
  specs = {}
  for tensor, name in zip(model.inputs, model.input_names):
    shape = tuple(int(d) if d is not None else -1 for d in tensor.shape[1:])
    specs[name] = InputSpec(name=name, shape=shape, dtype=tensor.dtype.name)
  return specs
