"""Loading and saving Keras SavedModels, and describing their inputs."""

import dataclasses
import os
from typing import Dict, Tuple

from absl import logging

from tfx_compression.errors import UnsupportedModelError
from tfx_compression.lib.keras import tf_setup  # pylint: disable=unused-import

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


# Keras layers whose config carries Python bytecode, run when the model is
# rebuilt or called: loading them runs code stored in the artifact.
UNSAFE_LAYER_CLASSES = ("Lambda",)


def metadata_root(path: str) -> dict:
  """The root node's config stored in keras_metadata.pb.

  Raises:
    UnsupportedModelError: the file is damaged (naming it).
  """
  import json  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from tf_keras.protobuf import saved_metadata_pb2  # pylint: disable=g-import-not-at-top
  file = os.path.join(path, KERAS_METADATA_FILE)
  try:
    metadata = saved_metadata_pb2.SavedMetadata()
    with tf.io.gfile.GFile(file, "rb") as f:
      metadata.ParseFromString(f.read())
    return json.loads(next(n.metadata for n in metadata.nodes
                           if n.node_path == "root"))
  except Exception as e:  # pylint: disable=broad-except
    raise UnsupportedModelError(
        f"{file} is damaged: {type(e).__name__}: {e}") from e


def unsafe_layers(path: str) -> list:
  """Names of the layers whose stored config holds Python bytecode."""
  found = []

  def walk(node):
    if isinstance(node, dict):
      if node.get("class_name") in UNSAFE_LAYER_CLASSES:
        found.append((node.get("config") or {}).get("name", "?"))
      for value in node.values():
        walk(value)
    elif isinstance(node, list):
      for value in node:
        walk(value)

  walk(metadata_root(path).get("config"))
  return found


def check_safe(path: str, trust_model_code: bool) -> None:
  """Refuses a model whose loading would run code stored in the artifact.

  Raises:
    UnsupportedModelError: naming the layers, unless `trust_model_code`.
  """
  layers = unsafe_layers(path)
  if layers and not trust_model_code:
    raise UnsupportedModelError(
        f"The Keras model at {path} has Lambda layer(s) {layers}: rebuilding "
        "it would run Python bytecode stored in the artifact, not your "
        "module's code. Give model_fn (your function that builds the model; "
        "the artifact's variables are restored into it), or set "
        "trust_model_code=True if you trust the artifact's author.")


def load_keras_model(path: str, compile: bool = False,  # pylint: disable=redefined-builtin
                     signatures: bool = False, trust_model_code: bool = False):
  """Loads the tf_keras model saved at `path`.

  Without `signatures`, the model is rebuilt from the config Keras stored
  in `keras_metadata.pb` and given the SavedModel's variables (3 s instead of
  12 s for a MobileNetV2: Keras' loader first loads every traced function).
  It falls back to Keras' loader when the config cannot be rebuilt (a custom
  class that is not importable) or the variables do not all match.

  Args:
    path: A SavedModel directory written by tf_keras `model.save`.
    compile: Whether to restore the training configuration too.
    signatures: Load with Keras' loader, whose model keeps the exported
      signatures in `.signatures`.

    trust_model_code: Allow Lambda layers (their bytecode runs).

  Returns:
    The `tf_keras.Model`.

  Raises:
    UnsupportedModelError: the directory is not a loadable Keras SavedModel
      (naming the damaged file), or it has Lambda layers and
      `trust_model_code` is False.
  """
  check_keras_saved_model(path)
  check_safe(path, trust_model_code)
  if not signatures:
    model = _load_from_config(path, compile)
    if model is not None:
      return model
  import tf_keras  # pylint: disable=g-import-not-at-top
  try:
    if trust_model_code:
      tf_keras.__internal__.enable_unsafe_deserialization()
    return tf_keras.models.load_model(path, compile=compile)
  except Exception as e:  # pylint: disable=broad-except
    first = str(e).strip().splitlines()[0] if str(e).strip() else ""
    raise UnsupportedModelError(
        f"tf_keras could not load the model at {path} (its saved_model.pb, "
        f"keras_metadata.pb or variables are damaged or incompatible): "
        f"{type(e).__name__}: {first}") from e


def _load_from_config(path: str, compile: bool):  # pylint: disable=redefined-builtin
  """The model rebuilt from its stored config and variables; None if it can't be."""
  import json  # pylint: disable=g-import-not-at-top
  import tf_keras  # pylint: disable=g-import-not-at-top
  from tf_keras.src.saving.legacy import saving_utils  # pylint: disable=g-import-not-at-top
  root = metadata_root(path)
  try:
    model = tf_keras.models.model_from_json(json.dumps(
        {"class_name": root["class_name"], "config": root["config"]}))
    status = model.load_weights(os.path.join(path, "variables", "variables"))
    # Every model variable is restored; the optimizer's slots are not wanted.
    status.assert_existing_objects_matched().expect_partial()
  except Exception as e:  # pylint: disable=broad-except
    logging.info("Loading %s with Keras' loader: not rebuildable from its "
                 "config (%s)", path, e)
    return None
  training_config = root.get("training_config")
  if compile and training_config is not None:
    model.compile(
        **saving_utils.compile_args_from_training_config(training_config),
        from_serialized=True)
    saving_utils.try_build_compiled_arguments(model)
  return model


def input_specs(model) -> Dict[str, InputSpec]:
  """Returns the model's inputs keyed by name, in Keras input order."""
  specs = {}
  for tensor, name in zip(model.inputs, model.input_names):
    shape = tuple(int(d) if d is not None else -1 for d in tensor.shape[1:])
    specs[name] = InputSpec(name=name, shape=shape, dtype=tensor.dtype.name)
  return specs


# Modules whose layers Keras rebuilds from their config alone (tfmot's inside
# `quantize_scope()`, which loading a QAT model needs anyway).
_CONFIG_LOADABLE = ("tf_keras.", "keras.", "tensorflow_model_optimization.")


def _config_loadable(model) -> bool:
  import tf_keras  # pylint: disable=g-import-not-at-top
  layers = [model] + [m for m in model.submodules
                      if isinstance(m, tf_keras.layers.Layer)]
  return all(type(l).__module__.startswith(_CONFIG_LOADABLE) for l in layers)


def save_keras_model(model, path: str, signatures=None) -> None:
  """Saves `model` as a Keras SavedModel at `path`, with `signatures`.

  Keras' default also traces every layer's call functions into the
  SavedModel: 45 s of a MobileNetV2 save. Those traces are only needed to
  revive custom layers whose classes are not importable, so models made of
  Keras (and tfmot) layers only are saved without them; the signatures are
  saved either way, and Keras rebuilds the model from its config.
  """
  model.save(path, save_format="tf", signatures=signatures,
             save_traces=not _config_loadable(model))
