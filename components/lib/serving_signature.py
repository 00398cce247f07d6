"""Re-creating a tf.Example `serving_default` for a model whose shapes changed.

A model that keeps the original's weight shapes can be saved under the
original's signatures (`keras_export.save_with_original_signatures`). A model
rebuilt with fewer channels cannot: its signature must be traced again. The
usual TFX serving signature parses serialized tf.Examples and calls the model
on the parsed features; this module reads the parse spec back from the
original signature's graph (its ParseExampleV2 node), traces the same
signature around the new model, and proves the reconstruction by running the
original model under it and comparing with the original signature on real
serialized examples.
"""

from typing import Dict, Mapping, Sequence

import numpy as np

from tfx_compression.errors import UnsupportedModelError
from tfx_compression.lib import keras_io

SERVING_DEFAULT = "serving_default"
_PARSE_OPS = ("ParseExampleV2", "ParseExample")
# The re-created signature must match the original to float precision.
MAX_ABS_DIFF = 1e-5


def _node_value(function_def, ref: str):
  """The constant value of a node input reference like 'Const_1:output:0'."""
  from tensorflow.python.framework import tensor_util  # pylint: disable=g-import-not-at-top
  name = ref.split(":")[0]
  for node in function_def.node_def:
    if node.name == name and node.op == "Const":
      return tensor_util.MakeNdarray(node.attr["value"].tensor)
  raise UnsupportedModelError(
      f"the parse op's input {ref!r} is not a constant; cannot read the "
      "feature spec of serving_default")


def example_parse_spec(signature) -> Dict[str, object]:
  """Returns {feature key: tf.io.FixedLenFeature} parsed by `signature`.

  Raises:
    UnsupportedModelError: the signature does not parse tf.Examples with one
      parse op of dense features only.
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  found = [(f, n) for f in signature.graph.as_graph_def().library.function
           for n in f.node_def if n.op in _PARSE_OPS]
  if len(found) != 1:
    raise UnsupportedModelError(
        f"{SERVING_DEFAULT} must parse serialized tf.Examples with exactly one "
        f"parse op to be re-created for a reshaped model; found {len(found)}")
  function_def, node = found[0]
  if node.op != "ParseExampleV2" or node.attr["num_sparse"].i or list(
      node.attr["ragged_value_types"].list.type):
    raise UnsupportedModelError(
        f"{SERVING_DEFAULT} parses sparse or ragged features ({node.op}); "
        "only dense (FixedLenFeature) specs can be re-created")
  inputs = [i for i in node.input if not i.startswith("^")]
  keys = [k.decode() for k in _node_value(function_def, inputs[3]).ravel()]
  dtypes = [tf.dtypes.as_dtype(t) for t in node.attr["Tdense"].list.type]
  shapes = [tf.TensorShape(s).as_list()
            for s in node.attr["dense_shapes"].list.shape]
  spec = {}
  for i, key in enumerate(keys):
    default = _node_value(function_def, inputs[5 + i])
    spec[key] = tf.io.FixedLenFeature(
        shapes[i], dtypes[i], None if default.size == 0 else default)
  return spec


def _serving_fn(model, spec: Mapping[str, object], input_name: str,
                output_keys: Sequence[str]):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  model_inputs = list(model.input_names)
  missing = [n for n in model_inputs if n not in spec]
  if missing:
    raise UnsupportedModelError(
        f"{SERVING_DEFAULT} parses {sorted(spec)} but the model's inputs "
        f"{missing} are not among them")
  needed = {k: spec[k] for k in model_inputs}

  @tf.function(input_signature=[tf.TensorSpec([None], tf.string,
                                              name=input_name)])
  def serve(serialized):
    features = tf.io.parse_example(serialized, needed)
    outputs = model({k: features[k] for k in model_inputs})
    if not isinstance(outputs, (list, tuple)):
      outputs = [outputs]
    return dict(zip(output_keys, outputs))

  return serve


def _signature_io(signature, model):
  args, kwargs = signature.structured_input_signature
  if args or len(kwargs) != 1:
    raise UnsupportedModelError(
        f"{SERVING_DEFAULT} must take one tensor of serialized tf.Examples; "
        f"takes {args or ''}{kwargs}")
  (input_name,) = kwargs
  keys = list(signature.structured_outputs)
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
  return input_name, keys


def save_with_rebuilt_signature(new_model, original_path: str,
                                export_path: str,
                                serialized_examples: Sequence[bytes]) -> None:
  """Saves `new_model` with a re-traced copy of the original serving_default.

  Args:
    new_model: A Keras model with the original's input and output names.
    original_path: The original Keras SavedModel directory.
    export_path: Where to write the new SavedModel.
    serialized_examples: Real serialized tf.Examples the original serves; the
      re-created signature must reproduce the original's outputs on them.

  Raises:
    UnsupportedModelError: the original signature cannot be re-created (it
      does more than parse dense features and call the model, e.g. a
      Transform layer), with the reason.
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  original = keras_io.load_keras_model(original_path, signatures=True)
  if SERVING_DEFAULT not in original.signatures:
    raise UnsupportedModelError(
        f"the model at {original_path} has no {SERVING_DEFAULT} signature; "
        f"found {sorted(original.signatures)}")
  signature = original.signatures[SERVING_DEFAULT]
  spec = example_parse_spec(signature)
  input_name, keys = _signature_io(signature, original)
  if not serialized_examples:
    raise UnsupportedModelError(
        "no serialized examples to check the re-created signature on")
  batch = tf.constant(list(serialized_examples))
  expected = signature(**{input_name: batch})
  got = _serving_fn(original, spec, input_name, keys)(batch)
  for key in keys:
    diff = float(np.max(np.abs(expected[key].numpy() - got[key].numpy())))
    if diff > MAX_ABS_DIFF:
      raise UnsupportedModelError(
          f"{SERVING_DEFAULT} does more than parse {sorted(spec)} and call the "
          f"model (output {key!r} differs by {diff:.3g} when re-created), e.g. "
          "a Transform layer; it cannot be re-created for a reshaped model")
  keras_io.save_keras_model(new_model, export_path, {
      SERVING_DEFAULT: _serving_fn(new_model, spec, input_name, keys)})
