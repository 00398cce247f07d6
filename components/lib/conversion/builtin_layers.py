"""Keras layers traced with TFLite builtin ops while a model is converted.

Some stock Keras layers trace to ops TFLite runs badly or not at all. While
`traced_as_builtins()` is active (the converter's trace only), their `call`
computes the same tensor with builtin ops; outside it Keras is unchanged.
No weights change, so nothing is cloned or rebuilt.
"""

import contextlib


def _reshape_call(keras_call):
  """`Reshape` as `tf.reshape(x, [-1, *static dims])`.

  Keras reshapes to `(tf.shape(x)[0],) + target_shape`. The converter keeps
  that as SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE, the reshaped tensor is
  dynamic-sized, and the XNNPACK delegate then refuses the WHOLE graph
  (tensorflow/tensorflow#50286): a MobileNetV2 behind a Reshape ran 1.7x
  slower in float and 2.8x slower in int8 (benchmarks/reshape_xnnpack.py).
  With -1 as the batch the new shape is a constant, the batch stays
  resizable (TFMA batches its inputs), and the result is the same tensor.
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top

  def call(self, inputs):
    shape = self.compute_output_shape(inputs.shape)
    if any(d is None for d in shape[1:]):
      return keras_call(self, inputs)
    return tf.reshape(inputs, [-1] + [int(d) for d in shape[1:]])

  return call


def _category_encoding_call(keras_call):
  """`CategoryEncoding` as ONE_HOT + REDUCE_MAX (or SUM for counts).

  Keras encodes with `DenseBincount`, which is not a TFLite builtin: the
  model would need the Flex delegate (TFX's taxi model has nine such
  layers). one_hot over the ids, reduced over the ids' axis, is the same
  multi-hot, one-hot or count vector. Ids outside [0, num_tokens) give a
  zero row where Keras raises; sparse outputs and TF-IDF keep Keras' call.
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top

  def call(self, inputs, count_weights=None):
    mode = self.output_mode
    if (self.sparse or mode not in ("multi_hot", "one_hot", "count") or
        isinstance(inputs, tf.SparseTensor) or inputs.shape.rank is None or
        (count_weights is not None and mode != "count")):
      return keras_call(self, inputs, count_weights)
    ids = tf.convert_to_tensor(inputs)
    if ids.shape.rank == 0:
      ids = tf.expand_dims(ids, -1)
    if mode == "one_hot" and ids.shape[-1] != 1:
      ids = tf.expand_dims(ids, -1)
    if ids.shape.rank > 2:
      return keras_call(self, inputs, count_weights)
    hot = tf.one_hot(tf.cast(ids, tf.int32), self.num_tokens,
                     dtype=self.compute_dtype)  # [..., ids, num_tokens]
    if mode == "count":
      if count_weights is not None:
        hot *= tf.expand_dims(tf.cast(count_weights, hot.dtype), -1)
      return tf.reduce_sum(hot, axis=-2)
    return tf.reduce_max(hot, axis=-2)

  return call


@contextlib.contextmanager
def traced_as_builtins():
  """Within: Reshape and CategoryEncoding layers trace to builtin ops."""
  from tf_keras.src.layers.preprocessing import category_encoding  # pylint: disable=g-import-not-at-top
  from tf_keras.src.layers.reshaping import reshape  # pylint: disable=g-import-not-at-top
  patched = [(reshape.Reshape, _reshape_call),
             (category_encoding.CategoryEncoding, _category_encoding_call)]
  originals = [(cls, cls.call) for cls, _ in patched]
  for cls, make in patched:
    cls.call = make(cls.call)
  try:
    yield
  finally:
    for cls, call in originals:
      cls.call = call
