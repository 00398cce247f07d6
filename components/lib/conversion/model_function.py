"""A model as a function of named dense tensors: what TFLite converts.

One interface over the three shapes a Trainer's model takes in this project:
a tf_keras model (`from_keras`), the traced call of a model saved with
`tf.saved_model.save` and loaded with `tf.saved_model.load` (`from_revived`:
no Python from the artifact runs), and either of them behind a Transform
graph, so that the function takes the RAW features the serving signature
parses (`with_transform`).
"""

import dataclasses
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

import numpy as np

from tfx_compression.errors import UnsupportedModelError
from tfx_compression.lib.keras import tf_setup  # pylint: disable=unused-import
from tfx_compression.lib.keras.saved_model_io import InputSpec


@dataclasses.dataclass
class ModelFunction:
  """A callable from {input name: batch tensor} to {output name: batch tensor}.

  Attributes:
    name: For messages.
    input_specs: The inputs, keyed by name, with per-example shape and dtype.
    output_names: The output keys, e.g. the serving signature's.
    call: The function itself (TensorFlow ops; traceable).
    trackables: Objects owning the variables and assets `call` uses (kept
      alive and tracked when the function is converted or saved).
    keras_model: The Keras model behind `call`, when there is one.
    transformed: Whether a Transform graph runs before the model.
    preprocess: With a Transform graph: the graph alone, raw features ->
      the model's inputs (its ops are preprocessing, e.g. kept float when
      the model is quantized).
    task_hints: (compiled loss, output activation) recorded in the model's
      Keras metadata, for `task.infer` (Nones when unknown).
  """

  name: str
  input_specs: Dict[str, InputSpec]
  output_names: List[str]
  call: Callable[[Mapping[str, Any]], Dict[str, Any]]
  trackables: List[Any]
  keras_model: Any = None
  transformed: bool = False
  preprocess: Optional["ModelFunction"] = None
  task_hints: tuple = (None, None)

  def __call__(self, features: Mapping[str, Any]) -> Dict[str, Any]:
    return self.call(features)

  def tensor_specs(self):
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    return {name: tf.TensorSpec([None] + list(s.shape), s.dtype, name=name)
            for name, s in self.input_specs.items()}

  def predict(self, inputs: Mapping[str, np.ndarray],
              batch_size: int = 256) -> Dict[str, np.ndarray]:
    """Runs numpy `inputs` through the function in batches."""
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    fn = tf.function(self.call, input_signature=[self.tensor_specs()])
    n = len(next(iter(inputs.values())))
    parts: Dict[str, List[np.ndarray]] = {k: [] for k in self.output_names}
    for start in range(0, n, batch_size):
      batch = {k: tf.constant(np.asarray(inputs[k][start:start + batch_size]),
                              dtype=self.input_specs[k].dtype)
               for k in self.input_specs}
      for k, v in fn(batch).items():
        parts[k].append(v.numpy())
    return {k: np.concatenate(v) for k, v in parts.items()}

  def with_transform(self, transform_layer, raw_features) -> "ModelFunction":
    """This function behind `transform_layer`, taking `raw_features`.

    Args:
      transform_layer: Maps {raw feature: tensor} to {transformed: tensor}
        (`tft.TFTransformOutput.transform_features_layer()`).
      raw_features: {name: saved_model_info.FeatureInfo} of the raw inputs,
        e.g. what the serving signature parses.

    Raises:
      UnsupportedModelError: the transform does not produce every input.
    """
    from tfx_compression.lib.data import feature_space  # pylint: disable=g-import-not-at-top
    from tfx_compression.lib.conversion import transform_tables  # pylint: disable=g-import-not-at-top
    # Vocabularies as in-memory tables: TFLite drops text-file initializers.
    tables = transform_tables.inline_vocabularies(transform_layer)
    raw_specs = {name: InputSpec(name, tuple(f.shape), f.dtype)
                 for name, f in raw_features.items()}
    optional = {name for name, f in raw_features.items() if f.optional}
    model = self

    def preprocess(features):
      # Optional (VarLen) raw features arrive dense, missing values filled
      # as FeatureInfo.missing_value(): the Transform graph takes them sparse.
      transformed = transform_layer({
          k: feature_space.as_sparse(v) if k in optional else v
          for k, v in features.items()})
      missing = [n for n in model.input_specs if n not in transformed]
      if missing:
        raise UnsupportedModelError(
            f"the Transform graph does not produce the model input(s) "
            f"{missing} from the serving features {sorted(raw_specs)} (it "
            f"produces {sorted(transformed)})")
      # x + zeros_like(x) is x, but an op TFLite's quantizer does not see
      # through: without it, converting a QAT model propagates the model's
      # input scale back into the Transform graph, and e.g. the raw branch
      # of tft.scale_to_z_score's select is quantized on the z-score range
      # (argmax agreement fell from 1.0 to 0.97 on TFX's penguin model).
      # A static batch of the raw inputs (an LSTM converted at batch 1) is
      # given back to the Transform outputs, which lose it (IMDB's
      # split -> pad -> slice gives [None, 400]).
      batch = next(iter(features.values())).shape[0]
      return {n: _barrier(_with_batch(feature_space.conform(
          transformed[n], spec), batch))
              for n, spec in model.input_specs.items()}

    return ModelFunction(
        name=self.name, input_specs=raw_specs, output_names=self.output_names,
        call=lambda features: model(preprocess(features)),
        trackables=self.trackables + [transform_layer, tables],
        keras_model=self.keras_model, transformed=True,
        task_hints=self.task_hints,
        preprocess=ModelFunction(
            name=f"{self.name} Transform graph", input_specs=raw_specs,
            output_names=list(model.input_specs), call=preprocess,
            trackables=[transform_layer, tables]))


def _with_batch(tensor, batch):
  """`tensor` reshaped to the static `batch` when its other dims are known."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  if batch is None or not isinstance(tensor, tf.Tensor) or (
      tensor.shape.rank is None or tensor.shape.rank == 0):
    return tensor
  rest = tensor.shape.as_list()[1:]
  if tensor.shape[0] == batch or any(d is None for d in rest):
    return tensor
  return tf.reshape(tensor, [batch] + rest)


def _barrier(tensor):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  return tensor + tf.zeros_like(tensor)


def as_function(model) -> ModelFunction:
  """`model` if it is a ModelFunction, else `from_keras(model)`."""
  return model if isinstance(model, ModelFunction) else from_keras(model)


def output_names_for(keras_names: Sequence[str],
                     signature_keys: Optional[Sequence[str]]) -> List[str]:
  """Names converted outputs after the serving signature where that is exact.

  A single output takes the signature's single key (TFX examples return
  {'outputs': ...} or an unnamed tensor, 'output_0'), so the converted model's
  outputs carry the names the serving signature answers with. Several outputs
  keep the Keras names unless the signature uses exactly those names.
  """
  keras_names = list(keras_names)
  keys = list(signature_keys or [])
  if len(keras_names) == 1 and len(keys) == 1:
    return keys
  return keras_names


def from_keras(model, signature_keys: Optional[Sequence[str]] = None
               ) -> ModelFunction:
  """Wraps a functional or sequential tf_keras model.

  Raises:
    UnsupportedModelError: the model has no defined inputs (subclassed).
  """
  from tfx_compression.lib.keras import saved_model_io  # pylint: disable=g-import-not-at-top
  if not getattr(model, "inputs", None):
    raise UnsupportedModelError(
        f"Model {getattr(model, 'name', model)!r} has no defined inputs (a "
        "subclassed model that was never built on named Inputs); export a "
        "functional or sequential Keras model.")
  names = output_names_for(model.output_names, signature_keys)

  def call(features):
    outputs = model(dict(features), training=False)
    if isinstance(outputs, dict):
      outputs = [outputs[k] for k in model.output_names]
    elif not isinstance(outputs, (list, tuple)):
      outputs = [outputs]
    return dict(zip(names, outputs))

  # Only the variables are tracked: converting a function whose holder
  # tracks the Keras model would save (and trace) every layer again.
  return ModelFunction(name=model.name, input_specs=saved_model_io.input_specs(model),
                       output_names=names, call=call,
                       trackables=list(model.variables), keras_model=model)


def _inference_function(loaded):
  """The revived model call traced with training=False, and its input spec."""
  calls = getattr(getattr(loaded, "__call__", None), "concrete_functions", None)
  for function in calls or []:
    args, _ = function.structured_input_signature
    if len(args) >= 2 and args[1] is False:
      return function, args[0]
  if calls:
    function = calls[0]
    return function, function.structured_input_signature[0][0]
  raise UnsupportedModelError(
      "the SavedModel holds no traced model call (it was not exported from a "
      "Keras model); only its serving signature could be used")


def from_revived(loaded, name: str,
                 signature_keys: Optional[Sequence[str]] = None
                 ) -> ModelFunction:
  """Wraps the traced call of a Keras model loaded with `tf.saved_model.load`.

  No Python code of the artifact runs: the call is the graph traced at export.

  Raises:
    UnsupportedModelError: no traced call, unnamed inputs, or several
      unnamed outputs.
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  function, structure = _inference_function(loaded)
  if isinstance(structure, tf.TensorSpec):
    specs, kind = [structure], "single"
  elif isinstance(structure, dict):
    kind = "dict"
    specs = [tf.TensorSpec(v.shape, v.dtype, name=k)
             for k, v in structure.items()]
  elif isinstance(structure, (list, tuple)):
    specs, kind = list(structure), "list"
  else:
    raise UnsupportedModelError(
        f"the traced call of {name} takes {structure!r}; expected named tensors")
  if any(not s.name for s in specs):
    raise UnsupportedModelError(
        f"the traced call of {name} has unnamed inputs {specs}; name each "
        "Keras Input after the feature it reads")
  input_specs = {s.name: InputSpec(s.name, tuple(
      int(d) if d is not None else -1 for d in s.shape[1:]), s.dtype.name)
                 for s in specs}
  outputs = function.structured_outputs
  if isinstance(outputs, dict):
    output_names = sorted(outputs)
  elif isinstance(outputs, (list, tuple)) and len(outputs) != 1:
    raise UnsupportedModelError(
        f"the traced call of {name} returns {len(outputs)} unnamed outputs; "
        "export the model with model.save(save_format='tf') so they keep "
        "their names")
  else:
    output_names = output_names_for(["output_0"], signature_keys)
  order = [s.name for s in specs]

  def call(features):
    if kind == "single":
      args = features[order[0]]
    elif kind == "dict":
      args = {n: features[n] for n in order}
    else:
      args = [features[n] for n in order]
    result = (loaded(args, False, None) if len(
        function.structured_input_signature[0]) == 3 else loaded(args))
    if isinstance(result, dict):
      return {k: result[k] for k in output_names}
    if isinstance(result, (list, tuple)):
      (result,) = result
    return {output_names[0]: result}

  return ModelFunction(name=name, input_specs=input_specs,
                       output_names=output_names, call=call,
                       trackables=[loaded])
