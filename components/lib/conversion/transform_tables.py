"""tf.Transform vocabularies as in-memory tables, so that TFLite can run them.

tf.Transform's `compute_and_apply_vocabulary` looks words up in a hash table
initialised from the vocabulary's text file (`InitializeTableFromTextFileV2`).
The TFLite converter keeps the table (HASHTABLE, HASHTABLE_FIND are builtins)
but silently drops a text-file initializer, so the converted model fails at
run time with "hashtable need to be initialized". A table initialised from
constant keys and values (`KeyValueTensorInitializer`) converts to an
initializer subgraph (HASHTABLE_IMPORT, run once) and works.

`inline_vocabularies` reads each text-file table's file exactly as its
initializer would (key and value columns, delimiter, size limit, offset),
builds a constant-initialised table of the same key and value types, and
points the Transform graph's functions at it. Lookups, default values and
OOV buckets (done outside the table) are unchanged.
"""

import dataclasses
from typing import Any, Iterator, List

import numpy as np

from tfx_compression.errors import UnsupportedModelError
from tfx_compression.lib.keras import tf_setup  # pylint: disable=unused-import

# TextFileIndex's special columns (tensorflow/core/kernels/lookup_util.h).
_WHOLE_LINE = -2
_LINE_NUMBER = -1
# Set on a layer whose tables were inlined (not tracked: a plain attribute).
_INLINED = "_tfx_compression_inline_tables"


@dataclasses.dataclass(frozen=True)
class Vocabulary:
  """One text-file table, as its initializer reads it."""

  path: str
  key_index: int
  value_index: int
  delimiter: str
  vocab_size: int
  offset: int
  key_dtype: Any
  value_dtype: Any

  def read(self):
    """(keys, values) numpy arrays, as InitializeTableFromTextFileV2 reads them."""
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    with tf.io.gfile.GFile(self.path, "rb") as f:
      lines = f.read().split(b"\n")
    if lines and not lines[-1]:
      lines.pop()
    if self.vocab_size > 0:
      lines = lines[:self.vocab_size]
    return (self._column(lines, self.key_index, self.key_dtype),
            self._column(lines, self.value_index, self.value_dtype))

  def _column(self, lines, index, dtype):
    if index == _WHOLE_LINE:
      values = lines
    elif index == _LINE_NUMBER:
      values = [i + self.offset for i in range(len(lines))]
    else:
      delimiter = self.delimiter.encode()
      try:
        values = [line.split(delimiter)[index] for line in lines]
      except IndexError as e:
        raise UnsupportedModelError(
            f"vocabulary {self.path} has a line without column {index} "
            f"(delimiter {self.delimiter!r})") from e
    if dtype.is_integer:
      return np.array([int(v) for v in values], dtype=dtype.as_numpy_dtype)
    if dtype.is_floating:
      return np.array([float(v) for v in values], dtype=dtype.as_numpy_dtype)
    return np.array([v if isinstance(v, bytes) else str(v).encode()
                     for v in values], dtype=object)


def _trackables(root) -> Iterator[Any]:
  seen, stack = set(), [root]
  while stack:
    obj = stack.pop()
    if id(obj) in seen:
      continue
    seen.add(id(obj))
    yield obj
    try:
      stack.extend(obj._trackable_children().values())  # pylint: disable=protected-access
    except Exception:  # pylint: disable=broad-except
      continue


def _concrete(fn) -> List[Any]:
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  if isinstance(fn, tf.types.experimental.ConcreteFunction):
    return [fn]
  functions = []
  try:
    functions.extend(fn._list_all_concrete_functions())  # pylint: disable=protected-access
    # A restored function called once keeps that trace, which captured the
    # tables' handles then.
    functions.extend(fn._function_cache.values())  # pylint: disable=protected-access
  except Exception:  # pylint: disable=broad-except
    pass
  return functions


def _nodes(function):
  graph_def = function.graph.as_graph_def()
  yield from graph_def.node
  for f in graph_def.library.function:
    yield from f.node_def


def _vocabulary(resource):
  """The Vocabulary a restored table resource is initialised from, or None."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  init = _concrete(getattr(resource, "_initialize", None))
  create = _concrete(getattr(resource, "_create_resource", None))
  if not init or not create:
    return None
  ops = [n for n in _nodes(init[0]) if n.op == "InitializeTableFromTextFileV2"]
  tables = [n for n in _nodes(create[0]) if n.op == "HashTableV2"]
  paths = [t for t in init[0].captured_inputs if t.dtype == tf.string]
  if len(ops) != 1 or len(tables) != 1 or len(paths) != 1:
    return None
  attr, table = ops[0].attr, tables[0].attr
  return Vocabulary(
      path=paths[0].numpy().decode(), key_index=attr["key_index"].i,
      value_index=attr["value_index"].i,
      delimiter=attr["delimiter"].s.decode(), vocab_size=attr["vocab_size"].i,
      offset=attr["offset"].i,
      key_dtype=tf.as_dtype(table["key_dtype"].type),
      value_dtype=tf.as_dtype(table["value_dtype"].type))


def inline_vocabularies(transform_layer) -> List[Any]:
  """Re-points `transform_layer`'s text-file tables at in-memory ones.

  Idempotent: a layer already re-pointed gives back its tables.

  Returns:
    The new tables (to be tracked by whatever saves or converts the layer);
    empty when the graph has no text-file table.
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from tensorflow.python.trackable import resource as resource_lib  # pylint: disable=g-import-not-at-top,g-direct-tensorflow-import
  done = getattr(transform_layer, _INLINED, None)
  if done is not None:
    return done
  handles, tables = {}, []
  for obj in _trackables(transform_layer):
    if not isinstance(obj, resource_lib.CapturableResource):
      continue
    vocab = _vocabulary(obj)
    if vocab is None:
      continue
    keys, values = vocab.read()
    default = tf.constant(-1 if vocab.value_dtype.is_integer else
                          ("" if vocab.value_dtype == tf.string else 0),
                          vocab.value_dtype)
    table = tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(
            tf.constant(keys, vocab.key_dtype),
            tf.constant(values, vocab.value_dtype)), default_value=default)
    handles[id(obj.resource_handle)] = table.resource_handle
    tables.append(table)
  object.__setattr__(transform_layer, _INLINED, tables)
  if not handles:
    return tables
  for obj in _trackables(transform_layer):
    try:
      children = list(obj._trackable_children().values())  # pylint: disable=protected-access
    except Exception:  # pylint: disable=broad-except
      continue
    for child in children:
      for function in _concrete(child):
        captured = function._captured_inputs  # pylint: disable=protected-access
        if any(id(c) in handles for c in captured):
          function._captured_inputs = [  # pylint: disable=protected-access
              handles.get(id(c), c) for c in captured]
  return tables
