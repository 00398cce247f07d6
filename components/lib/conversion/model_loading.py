"""Loading a Trainer's model, however the Trainer saved it.

TFX Trainers save either with tf_keras `model.save(save_format='tf')` (a
`keras_metadata.pb`: the Keras model can be rebuilt) or with
`tf.saved_model.save` (TFX's own examples: only traced functions remain).

- Converting (LiteConverter, PostTrainingQuantizer, evaluation) needs the
  model as a function: the Keras model, or the traced call revived by
  `tf.saved_model.load` (`load_for_conversion`). No user code is needed.
- Fine-tuning (Pruner, QAT) needs the Keras object graph: it is rebuilt from
  the Keras metadata, or by the user's `model_fn` with the artifact's
  variables restored (`load_for_training`); `check_reproduces` then proves on
  real examples that the rebuilt model is the saved one.
"""

import dataclasses
from typing import Any, Callable, Dict, Mapping, Optional, Sequence

import numpy as np

from tfx_compression.errors import UnsupportedModelError
from tfx_compression.lib.keras import saved_model_io
from tfx_compression.lib.conversion import model_function
from tfx_compression.lib.keras import saved_model_info

# Largest accepted |rebuilt - saved| output difference (float32 round-off).
REPRODUCE_TOLERANCE = 1e-4


@dataclasses.dataclass
class LoadedModel:
  """A model artifact's facts, its model function, and its saved graph."""

  info: saved_model_info.SavedModelInfo
  function: model_function.ModelFunction  # the model alone (model inputs)
  revived_: Any = None  # tf.saved_model.load result, loaded on demand
  rebuilt_by_model_fn: bool = False  # user code built it; variables restored

  @property
  def keras_model(self):
    return self.function.keras_model

  def revived(self):
    """The SavedModel loaded with `tf.saved_model.load` (signatures kept)."""
    if self.revived_ is None:
      self.revived_ = _revive(self.info.path)
    return self.revived_

  def serving_outputs(self, serialized: Sequence[bytes],
                      batch_size: int = 256) -> Dict[str, np.ndarray]:
    """Runs `serving_default` on serialized tf.Examples, as TF Serving would."""
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    signature = self.revived().signatures[saved_model_info.SERVING_DEFAULT]
    (name,) = self.info.serving.inputs
    parts: Dict[str, list] = {}
    for start in range(0, len(serialized), batch_size):
      batch = tf.constant(list(serialized[start:start + batch_size]))
      for key, value in signature(**{name: batch}).items():
        parts.setdefault(key, []).append(value.numpy())
    return {k: np.concatenate(v) for k, v in parts.items()}


  def tensor_outputs(self, inputs: Mapping[str, np.ndarray],
                     batch_size: int = 256) -> Dict[str, np.ndarray]:
    """Runs a `serving_default` of named tensors on numpy `inputs`."""
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    signature = self.revived().signatures[saved_model_info.SERVING_DEFAULT]
    specs = self.info.serving.inputs
    total = len(next(iter(inputs.values())))
    parts: Dict[str, list] = {}
    for start in range(0, total, batch_size):
      batch = {n: tf.constant(v[start:start + batch_size], specs[n].dtype)
               for n, v in inputs.items()}
      for key, value in signature(**batch).items():
        parts.setdefault(key, []).append(value.numpy())
    return {k: np.concatenate(v) for k, v in parts.items()}


def _revive(path: str):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  try:
    return tf.saved_model.load(path)
  except Exception as e:  # pylint: disable=broad-except
    raise UnsupportedModelError(
        f"tf.saved_model.load could not load {path}: {type(e).__name__}: "
        f"{str(e).strip().splitlines()[0] if str(e).strip() else ''}") from e


def graph_model(model):
  """`model` without layers outside its graph (e.g. an attached `tft_layer`).

  TFX's examples set `model.tft_layer = ...` before saving; on a Functional
  model that layer joins `model.layers` without being called by the model,
  and tfmot's clone-based wrapping then refuses the model.
  """
  import tf_keras  # pylint: disable=g-import-not-at-top
  if isinstance(model, tf_keras.Sequential) or not hasattr(model, "_network_nodes"):
    return model
  nodes = [n for depth in model._nodes_by_depth.values() for n in depth]  # pylint: disable=protected-access
  in_graph = {id(n.layer) for n in nodes}
  if all(id(l) in in_graph for l in model.layers):
    return model
  clean = tf_keras.Model(model.inputs, model.outputs, name=model.name)
  if getattr(model, "optimizer", None) is not None and getattr(model, "loss", None):
    clean.compile(optimizer=model.optimizer, loss=model.loss)
  return clean


def load_for_conversion(path: str) -> LoadedModel:
  """The model at `path` as a function, from Keras metadata or traced graphs.

  Raises:
    UnsupportedModelError: not a SavedModel, no serving_default, or neither
      a Keras model nor a traced Keras call.
  """
  import dataclasses  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.evaluation import task as task_lib  # pylint: disable=g-import-not-at-top
  info = saved_model_info.read(path)
  # The compiled loss and output activation the Keras metadata records (read
  # as JSON, no code runs): what validation reads the model's task from.
  hints = (task_lib.saved_model_hints(path) if info.has_keras_metadata
           else (None, None))
  if info.has_keras_metadata and not saved_model_io.unsafe_layers(path):
    model = graph_model(saved_model_io.load_keras_model(path))
    if getattr(model, "inputs", None):
      return LoadedModel(info, dataclasses.replace(
          model_function.from_keras(model, info.output_keys),
          task_hints=hints))
  # No Keras metadata, Lambda layers (rebuilding them would run bytecode
  # from the artifact) or a subclassed model: the traced call serves.
  revived = _revive(path)
  function = model_function.from_revived(revived, _name(path), info.output_keys)
  return LoadedModel(info, dataclasses.replace(function, task_hints=hints),
                     revived)


def _name(path: str) -> str:
  return path.rstrip("/").split("/")[-2] if "/" in path else path


def load_for_training(path: str, component: str,
                      model_fn: Optional[str] = None,
                      module_file: Optional[str] = None,
                      trust_model_code: bool = False,
                      model_fn_kwargs=None,
                      load_fn: Optional[Callable] = None) -> LoadedModel:
  """The compiled Keras model at `path`, rebuilt by `model_fn` if need be.

  Args:
    path: The SavedModel directory.
    component: The component asking, for messages.
    model_fn: Without Keras metadata: a function returning the Trainer's
      Keras model ('package.module.fn', or a name in `module_file`), called
      with no arguments. Its variables are restored from the artifact.
    module_file: A Python file defining `model_fn`.
    trust_model_code: Rebuild Lambda layers from the artifact (their
      bytecode runs); without it such a model needs `model_fn`.
    model_fn_kwargs: Keyword arguments for `model_fn` (None: none).
    load_fn: `load_fn(field, name, module_file)` imports `model_fn` (the
      components pass `user_code.load_fn`; this library imports no user
      code itself). Needed only with `model_fn`.

  Raises:
    UnsupportedModelError: the Keras model cannot be recovered (saying what
      to pass), or `model_fn` builds a model the variables do not fit.
  """
  info = saved_model_info.read(path)
  if info.has_keras_metadata and not (
      model_fn and saved_model_io.unsafe_layers(path) and not trust_model_code):
    model = graph_model(saved_model_io.load_keras_model(
        path, compile=True, trust_model_code=trust_model_code))
    if not getattr(model, "inputs", None):
      raise UnsupportedModelError(
          f"The model at {path} is a subclassed Keras model (no defined "
          "inputs); tfmot fine-tunes functional and sequential models only. "
          "Build the Trainer's model with the functional API, or give "
          "model_fn building a functional equivalent.")
    return LoadedModel(info, model_function.from_keras(model, info.output_keys))
  if not model_fn:
    raise UnsupportedModelError(
        f"{component} fine-tunes the Keras model, but the model at {path} was "
        "saved with tf.saved_model.save (no keras_metadata.pb), which keeps "
        "only traced functions. Set model_fn in the "
        f"{component} config to the function of your Trainer module that "
        "builds the Keras model (a dotted path 'package.module.fn', or its "
        "name with module_file); its variables are restored from the "
        "artifact. Or save with model.save(path, save_format='tf'). "
        "LiteConverter and PostTrainingQuantizer need neither.")
  if load_fn is None:
    raise ValueError("load_for_training needs load_fn to import model_fn")
  build = load_fn("model_fn", model_fn, module_file)
  kwargs = dict(model_fn_kwargs or {})
  try:
    model = build(**kwargs)
  except Exception as e:  # pylint: disable=broad-except
    called = (f"with {kwargs}" if kwargs else "with no arguments (set "
              "model_fn_kwargs to pass the arguments your Trainer used)")
    raise UnsupportedModelError(
        f"model_fn {model_fn!r} failed when called {called}: "
        f"{type(e).__name__}: {e}") from e
  _restore(model, path, model_fn)
  return LoadedModel(info, model_function.from_keras(model, info.output_keys),
                     rebuilt_by_model_fn=True)


def _restore(model, path: str, model_fn: str) -> None:
  import os  # pylint: disable=g-import-not-at-top
  try:
    status = model.load_weights(os.path.join(path, "variables", "variables"))
    status.expect_partial()
    status.assert_existing_objects_matched()
  except Exception as e:  # pylint: disable=broad-except
    raise UnsupportedModelError(
        f"The model model_fn {model_fn!r} builds does not match the variables "
        f"saved at {path}: {str(e).strip().splitlines()[0]}. model_fn must "
        "build the same architecture the Trainer saved: if your Trainer "
        "called it with arguments, give them as model_fn_kwargs.") from e


def check_reproduces(loaded: LoadedModel, inputs: Mapping[str, np.ndarray],
                     what: str) -> float:
  """Proves that a rebuilt Keras model computes what the artifact saved.

  Compares the Keras model with the artifact's traced call on real `inputs`
  (model inputs). Returns the largest difference.

  Raises:
    UnsupportedModelError: they differ by more than REPRODUCE_TOLERANCE.
  """
  saved = model_function.from_revived(loaded.revived(), what,
                                      loaded.info.output_keys)
  expected = saved.predict(inputs)
  got = loaded.function.predict(inputs)
  diff = max(float(np.max(np.abs(expected[k] - got[k]))) for k in expected)
  scale = max(1.0, max(float(np.max(np.abs(v))) for v in expected.values()))
  if not diff <= REPRODUCE_TOLERANCE * scale:
    n = len(next(iter(inputs.values())))
    raise UnsupportedModelError(
        f"The rebuilt Keras model differs from the saved {what} by {diff:.3g} "
        f"on {n} real examples: model_fn does not build the model the "
        "Trainer trained.")
  return diff
