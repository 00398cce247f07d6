"""Hostile inputs for the reliability suite, built at test time.

Damaged models and data, models that would run code stored in them, and
Examples artifacts written from lists of records.
"""

import gzip
import os
import shutil
from typing import Dict, List, Sequence

import numpy as np


def examples_artifact(uri: str, splits: Dict[str, Sequence[bytes]],
                      raw_files: Dict[str, bytes] = None):
  """An Examples artifact whose splits hold `splits` (gzipped TFRecords).

  `raw_files` maps a split to bytes written as its only file, as they are
  (for corrupt files).
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from tfx.types import artifact_utils  # pylint: disable=g-import-not-at-top
  from tfx.types import standard_artifacts  # pylint: disable=g-import-not-at-top
  artifact = standard_artifacts.Examples()
  artifact.uri = uri
  names = sorted(set(splits) | set(raw_files or {}))
  artifact.split_names = artifact_utils.encode_split_names(names)
  for split in names:
    directory = os.path.join(uri, f"Split-{split}")
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "data.tfrecord.gz")
    if raw_files and split in raw_files:
      with open(path, "wb") as f:
        f.write(raw_files[split])
      continue
    with tf.io.TFRecordWriter(path, "GZIP") as writer:
      for record in splits[split]:
        writer.write(record)
  return artifact


def records(examples, split: str) -> List[bytes]:
  """Every serialized tf.Example of one split of an Examples artifact."""
  from tfx_compression.framework import artifact_io  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.data import examples_io  # pylint: disable=g-import-not-at-top
  return examples_io.read_serialized(artifact_io.split_files(examples, split),
                                     10**6)


def edit(record: bytes, **features) -> bytes:
  """`record` with features replaced (a list of floats / ints) or removed (None)."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  example = tf.train.Example.FromString(record)
  for name, values in features.items():
    if values is None:
      del example.features.feature[name]
    elif all(isinstance(v, int) for v in values):
      example.features.feature[name].int64_list.value[:] = values
    else:
      example.features.feature[name].float_list.value[:] = values
  return example.SerializeToString()


def truncated_gzip(good: Sequence[bytes]) -> bytes:
  """A gzipped TFRecord file cut in the middle."""
  import tempfile  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "x.gz")
    with tf.io.TFRecordWriter(path, "GZIP") as writer:
      for record in good:
        writer.write(record)
    data = open(path, "rb").read()
  return data[:len(data) // 2]


def garbage_gzip() -> bytes:
  """A gzip file that holds no TFRecord."""
  return gzip.compress(b"this is not a TFRecord file" * 20)


def copy_model(source_uri: str, uri: str) -> str:
  """Copies a Model artifact's files; returns `uri`."""
  shutil.copytree(source_uri, uri)
  return uri


def truncate(path: str, keep: float = 0.5) -> None:
  data = open(path, "rb").read()
  with open(path, "wb") as f:
    f.write(data[:int(len(data) * keep)])


def lambda_model(marker: str):
  """A digits model with a Lambda layer that writes `marker` when it runs."""
  import tf_keras as keras  # pylint: disable=g-import-not-at-top

  def touch_and_pass(x):
    with open(marker, "w") as f:
      f.write("the Lambda's bytecode ran")
    return x

  image = keras.Input(shape=(64,), name="image")
  x = keras.layers.Lambda(touch_and_pass, name="side_effect")(image)
  x = keras.layers.Dense(16, activation="relu")(x)
  out = keras.layers.Dense(10, activation="softmax", name="probabilities")(x)
  model = keras.Model(image, out)
  model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
  return model


def serving_with_default(model, path: str, default_zeros: bool = True):
  """Saves `model` with a tf.Example serving_default parsing 'image' with a default."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  spec = {"image": tf.io.FixedLenFeature(
      [64], tf.float32, default_value=list(np.zeros(64)) if default_zeros
      else None)}

  @tf.function(input_signature=[tf.TensorSpec([None], tf.string,
                                              name="examples")])
  def serve(serialized):
    return {"probabilities": model(tf.io.parse_example(serialized, spec))}

  model.save(path, save_format="tf", signatures={"serving_default": serve})
  return path
