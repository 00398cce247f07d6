"""Graph ops without a TFLite builtin, rewritten to builtins in a SavedModel.

`builtin_layers` rewrites Keras layers while a Keras model is traced. A
model restored from a SavedModel without its Keras objects (TFX's taxi
example saves with `tf.saved_model.save`) has its ops fixed in function
definitions, so they are rewritten there: in the SavedModel the converter
reads. Each rewrite computes the same tensor.

- `DenseBincount` with `binary_output` (Keras `CategoryEncoding`, multi-hot
  and one-hot): ONE_HOT over the ids, then REDUCE_MAX over the ids' axis.
  Without it the model needs the Flex delegate, and the delegate crashed
  (SIGSEGV) on the taxi model behind its Transform graph.
"""

from typing import Iterable

from tfx_compression.lib.keras import tf_setup  # pylint: disable=unused-import

REWRITTEN_OPS = ("DenseBincount",)


def uses_ops(concrete_function, ops: Iterable[str] = REWRITTEN_OPS) -> bool:
  """Whether `concrete_function` (or a function it calls) has any of `ops`."""
  wanted = set(ops)
  graph_def = concrete_function.graph.as_graph_def()
  return any(n.op in wanted for n in graph_def.node) or any(
      n.op in wanted for f in graph_def.library.function for n in f.node_def)


def _const(node, name, dtype, value):
  from tensorflow.core.framework import attr_value_pb2  # pylint: disable=g-import-not-at-top,g-direct-tensorflow-import
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  node.name = name
  node.op = "Const"
  node.attr["dtype"].CopyFrom(attr_value_pb2.AttrValue(type=dtype))
  node.attr["value"].CopyFrom(attr_value_pb2.AttrValue(
      tensor=tf.make_tensor_proto(value, dtype=tf.as_dtype(dtype))))


def _rewrite_bincount(function_def) -> int:
  """Rewrites the binary DenseBincount nodes of `function_def` in place."""
  from tensorflow.core.framework import attr_value_pb2  # pylint: disable=g-import-not-at-top,g-direct-tensorflow-import
  from tensorflow.core.framework import types_pb2  # pylint: disable=g-import-not-at-top,g-direct-tensorflow-import
  done = 0
  for node in list(function_def.node_def):
    attrs = node.attr  # Read with `in`: indexing a proto map inserts.
    if node.op != "DenseBincount" or not all(
        a in attrs and attrs[a].WhichOneof("value") == kind for a, kind in
        (("binary_output", "b"), ("T", "type"), ("Tidx", "type"))):
      continue  # Counts, or a generic function (attrs as placeholders).
    if not attrs["binary_output"].b:
      continue
    name, value_type = node.name, node.attr["T"].type
    index_type = node.attr["Tidx"].type
    data = [i for i in node.input if not i.startswith("^")]
    control = [i for i in node.input if i.startswith("^")]
    ids, size = data[0], data[1]
    new = function_def.node_def
    _const(new.add(), f"{name}/on", value_type, 1)
    _const(new.add(), f"{name}/off", value_type, 0)
    _const(new.add(), f"{name}/axis", types_pb2.DT_INT32, -2)
    if index_type != types_pb2.DT_INT32:
      cast = new.add(name=f"{name}/depth", op="Cast", input=[size])
      cast.attr["SrcT"].CopyFrom(attr_value_pb2.AttrValue(type=index_type))
      cast.attr["DstT"].CopyFrom(
          attr_value_pb2.AttrValue(type=types_pb2.DT_INT32))
      size = f"{name}/depth:y:0"
    hot = new.add(name=f"{name}/one_hot", op="OneHot", input=[
        ids, size, f"{name}/on:output:0", f"{name}/off:output:0"] + control)
    hot.attr["T"].CopyFrom(attr_value_pb2.AttrValue(type=value_type))
    hot.attr["TI"].CopyFrom(attr_value_pb2.AttrValue(type=index_type))
    hot.attr["axis"].CopyFrom(attr_value_pb2.AttrValue(i=-1))
    # The reduction keeps the node's name: "name:output:0" still refers to it.
    node.ClearField("attr")
    node.op = "Max"
    del node.input[:]
    node.input.extend([f"{name}/one_hot:output:0", f"{name}/axis:output:0"])
    node.attr["T"].CopyFrom(attr_value_pb2.AttrValue(type=value_type))
    node.attr["Tidx"].CopyFrom(
        attr_value_pb2.AttrValue(type=types_pb2.DT_INT32))
    node.attr["keep_dims"].CopyFrom(attr_value_pb2.AttrValue(b=False))
    done += 1
  return done


def rewrite_saved_model(path: str) -> int:
  """Rewrites the SavedModel at `path` in place; returns the nodes rewritten."""
  import os  # pylint: disable=g-import-not-at-top
  from tensorflow.core.protobuf import saved_model_pb2  # pylint: disable=g-import-not-at-top,g-direct-tensorflow-import
  pb = os.path.join(path, "saved_model.pb")
  saved = saved_model_pb2.SavedModel()
  with open(pb, "rb") as f:
    saved.ParseFromString(f.read())
  done = 0
  for meta_graph in saved.meta_graphs:
    for function_def in meta_graph.graph_def.library.function:
      done += _rewrite_bincount(function_def)
  with open(pb, "wb") as f:
    f.write(saved.SerializeToString())
  return done
