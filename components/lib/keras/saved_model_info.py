"""What a SavedModel declares, read from its files without loading it.

A TFX Trainer writes its model either with tf_keras `model.save` (a
`keras_metadata.pb` beside `saved_model.pb`) or with `tf.saved_model.save`
(TFX's own examples: no Keras metadata). Either way `saved_model.pb` holds
the signatures, and the graph of `serving_default` holds the tf.Example parse
op whose dense keys, dtypes, shapes and defaults say which raw features the
model serves on. Reading the proto is cheap and loads no TensorFlow object.
"""

import dataclasses
import os
from typing import Dict, List, Optional, Tuple

from tfx_compression.errors import UnsupportedModelError

SAVED_MODEL_FILE = "saved_model.pb"
KERAS_METADATA_FILE = "keras_metadata.pb"
VARIABLES_INDEX = os.path.join("variables", "variables.index")
SERVING_DEFAULT = "serving_default"
_PARSE_OPS = ("ParseExampleV2", "ParseExample")


@dataclasses.dataclass(frozen=True)
class TensorInfo:
  """A signature input or output: dtype name and shape (-1 = unknown)."""

  dtype: str
  shape: Tuple[int, ...]


@dataclasses.dataclass(frozen=True)
class FeatureInfo:
  """A feature parsed from tf.Examples.

  Dense (a `tf.io.FixedLenFeature`), or with `optional` a feature that may be
  missing (a `tf.io.VarLenFeature`, what SchemaGen makes of a CSV column with
  empty cells): it is read as one value per example, a missing value given as
  `missing_value()` (0, or '' for strings: the value TFX's examples fill in).
  """

  name: str
  dtype: str  # 'float32', 'int64' or 'string'
  shape: Tuple[int, ...]
  default: Optional[Tuple] = None  # flattened default value; None: required
  optional: bool = False  # a VarLenFeature: missing values allowed

  @property
  def has_default(self) -> bool:
    return self.default is not None

  def missing_value(self):
    """What a missing value of an optional feature is read as."""
    return b"" if self.dtype == "string" else 0

  def to_tf(self):
    """This feature as a `tf.io.FixedLenFeature` (`VarLenFeature` if optional)."""
    import numpy as np  # pylint: disable=g-import-not-at-top
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    if self.optional:
      return tf.io.VarLenFeature(tf.dtypes.as_dtype(self.dtype))
    default = None
    if self.default is not None:
      default = np.reshape(np.array(self.default, dtype=object if
                                    self.dtype == "string" else self.dtype),
                           self.shape)
    return tf.io.FixedLenFeature(list(self.shape), tf.dtypes.as_dtype(
        self.dtype), default)


@dataclasses.dataclass(frozen=True)
class SignatureInfo:
  name: str
  inputs: Dict[str, TensorInfo]
  outputs: Dict[str, TensorInfo]

  @property
  def takes_serialized_examples(self) -> bool:
    """One rank-1 string input: serialized tf.Examples."""
    (only,) = self.inputs.values() if len(self.inputs) == 1 else (None,)
    return only is not None and only.dtype == "string" and len(only.shape) == 1


@dataclasses.dataclass(frozen=True)
class SavedModelInfo:
  """The facts components derive names and feature spaces from."""

  path: str
  has_keras_metadata: bool
  signatures: Dict[str, SignatureInfo]
  # Dense features `serving_default` parses from serialized tf.Examples;
  # None when it takes dense tensors instead.
  serving_features: Optional[Dict[str, FeatureInfo]]

  @property
  def serving(self) -> SignatureInfo:
    return self.signatures[SERVING_DEFAULT]

  @property
  def output_keys(self) -> List[str]:
    return sorted(self.serving.outputs)

  @property
  def saved_with(self) -> str:
    return ("tf_keras model.save" if self.has_keras_metadata
            else "tf.saved_model.save")


def _tensor_info(proto) -> TensorInfo:
  from tensorflow.python.framework import dtypes  # pylint: disable=g-import-not-at-top
  shape = (() if proto.tensor_shape.unknown_rank else
           tuple(int(d.size) for d in proto.tensor_shape.dim))
  return TensorInfo(dtypes.as_dtype(proto.dtype).name, shape)


def _read_proto(path: str):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from tensorflow.core.protobuf import saved_model_pb2  # pylint: disable=g-import-not-at-top
  file = os.path.join(path, SAVED_MODEL_FILE)
  if not tf.io.gfile.exists(file):
    found = sorted(tf.io.gfile.listdir(path)) if tf.io.gfile.isdir(path) else []
    raise UnsupportedModelError(
        f"No SavedModel at {path}: {SAVED_MODEL_FILE} is missing (found "
        f"{found or 'nothing'}). Export the model from the Trainer's run_fn to "
        "fn_args.serving_model_dir.")
  proto = saved_model_pb2.SavedModel()
  with tf.io.gfile.GFile(file, "rb") as f:
    content = f.read()
  if content[4:8] == b"TFL3":  # The TFLite flatbuffer's identifier.
    raise UnsupportedModelError(
        f"{file} is a TFLite model saved under the SavedModel's name. A "
        "TFLite model artifact holds it as Format-Serving/tflite (what "
        "LiteConverter writes; CompressionEvaluator and MicroExporter take "
        "it); steps that compress a model need the Trainer's SavedModel.")
  try:
    proto.ParseFromString(content)
  except Exception as e:  # pylint: disable=broad-except
    raise UnsupportedModelError(
        f"{file} is not a readable SavedModel proto ({type(e).__name__}: "
        f"{e}); the file is damaged or truncated.") from e
  if len(proto.meta_graphs) != 1:
    raise UnsupportedModelError(
        f"{file} holds {len(proto.meta_graphs)} meta graphs; expected one "
        "(a TF2 SavedModel).")
  if not tf.io.gfile.exists(os.path.join(path, VARIABLES_INDEX)):
    raise UnsupportedModelError(
        f"The SavedModel at {path} has no {VARIABLES_INDEX}: its variables "
        "are missing.")
  return proto.meta_graphs[0]


def read(path: str) -> SavedModelInfo:
  """Reads the signatures and the serving parse spec of the SavedModel at `path`.

  Raises:
    UnsupportedModelError: no or a damaged `saved_model.pb`, no variables, or
      no `serving_default` signature (naming the file and what was found).
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  meta_graph = _read_proto(path)
  signatures = {
      name: SignatureInfo(
          name=name,
          inputs={k: _tensor_info(v) for k, v in sig.inputs.items()},
          outputs={k: _tensor_info(v) for k, v in sig.outputs.items()})
      for name, sig in meta_graph.signature_def.items()
      if not name.startswith("__")}
  if SERVING_DEFAULT not in signatures:
    raise UnsupportedModelError(
        f"The SavedModel at {path} has no {SERVING_DEFAULT!r} signature (has "
        f"{sorted(signatures) or 'none'}); export the model with "
        "signatures={'serving_default': ...}, as TFX's Trainer examples do.")
  serving = signatures[SERVING_DEFAULT]
  features = None
  if serving.takes_serialized_examples:
    (input_tensor,) = meta_graph.signature_def[SERVING_DEFAULT].inputs.values()
    features = _parse_spec(meta_graph.graph_def, input_tensor.name, path)
  return SavedModelInfo(
      path=path,
      has_keras_metadata=tf.io.gfile.exists(
          os.path.join(path, KERAS_METADATA_FILE)),
      signatures=signatures, serving_features=features)


def _called_functions(node) -> List[str]:
  names = []
  for attr in node.attr.values():
    if attr.HasField("func"):
      names.append(attr.func.name)
    names.extend(f.name for f in attr.list.func)
  return names


def _parse_spec(graph_def, input_tensor: str, path: str
                ) -> Dict[str, FeatureInfo]:
  """The dense features parsed by the parse op `serving_default` reaches."""
  library = {f.signature.name: f for f in graph_def.library.function}
  placeholder = input_tensor.split(":")[0]
  pending = [name for node in graph_def.node
             if any(i.split(":")[0] == placeholder for i in node.input)
             for name in _called_functions(node)]
  seen, found = set(), []
  while pending:
    name = pending.pop()
    if name in seen or name not in library:
      continue
    seen.add(name)
    for node in library[name].node_def:
      if node.op in _PARSE_OPS:
        found.append((library[name], node))
      pending.extend(_called_functions(node))
  if len(found) != 1:
    raise UnsupportedModelError(
        f"{SERVING_DEFAULT} of {path} takes serialized tf.Examples but "
        f"{len(found)} parse ops were found in its graph; expected exactly one "
        "(tf.io.parse_example of the raw features).")
  return parse_op_features(*found[0])


def _node_value(function_def, ref: str):
  """The constant value of a node input reference like 'Const_1:output:0'."""
  from tensorflow.python.framework import tensor_util  # pylint: disable=g-import-not-at-top
  name = ref.split(":")[0]
  for node in function_def.node_def:
    if node.name == name and node.op == "Const":
      return tensor_util.MakeNdarray(node.attr["value"].tensor)
    if node.name == name and node.op in ("Reshape", "Identity"):
      # A default value is reshaped to the feature's shape: its data is
      # the first input's.
      return _node_value(function_def, node.input[0]).ravel()
  raise UnsupportedModelError(
      f"the parse op's input {ref!r} is not a constant; cannot read the "
      f"feature spec of {SERVING_DEFAULT}")


def parse_op_features(function_def, node) -> Dict[str, FeatureInfo]:
  """The features of a ParseExampleV2 `node` inside `function_def`.

  Dense features, and sparse ones (`tf.io.VarLenFeature`: missing values) as
  optional features of one value.

  Raises:
    UnsupportedModelError: the op parses ragged features, or is ParseExample.
  """
  from tensorflow.python.framework import dtypes  # pylint: disable=g-import-not-at-top
  if node.op != "ParseExampleV2" or list(
      node.attr["ragged_value_types"].list.type):
    raise UnsupportedModelError(
        f"{SERVING_DEFAULT} parses ragged features ({node.op}); dense "
        "(tf.io.FixedLenFeature) and sparse (tf.io.VarLenFeature) serving "
        "features are supported")
  inputs = [i for i in node.input if not i.startswith("^")]
  sparse = {}
  if node.attr["num_sparse"].i:
    sparse_keys = [k.decode() for k in
                   _node_value(function_def, inputs[2]).ravel()]
    sparse_types = [dtypes.as_dtype(t).name
                    for t in node.attr["sparse_types"].list.type]
    sparse = {k: FeatureInfo(name=k, dtype=t, shape=(1,), optional=True)
              for k, t in zip(sparse_keys, sparse_types)}
  keys = [k.decode() for k in _node_value(function_def, inputs[3]).ravel()]
  types = [dtypes.as_dtype(t).name for t in node.attr["Tdense"].list.type]
  shapes = [tuple(int(d.size) for d in s.dim)
            for s in node.attr["dense_shapes"].list.shape]
  features = {}
  for i, key in enumerate(keys):
    default = _node_value(function_def, inputs[5 + i])
    features[key] = FeatureInfo(
        name=key, dtype=types[i], shape=shapes[i],
        default=tuple(default.ravel().tolist()) if default.size else None)
  return dict(features, **sparse)
