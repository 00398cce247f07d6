"""Reading tf.Example TFRecord files (as ExampleGen writes them) into model inputs."""

import contextlib
import math
import os
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Set

import numpy as np

from tfx_compression.errors import DataError
from tfx_compression.errors import InputMismatchError
from tfx_compression.errors import UnsupportedModelError
from tfx_compression.lib.keras.saved_model_io import InputSpec

_INT_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16")
_FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")


def compression_of(files: Sequence[str]) -> str:
  """Returns the tf.data compression type of TFRecord `files`."""
  return "GZIP" if all(f.endswith(".gz") for f in files) else ""


def describe(path: str) -> str:
  """'split 'eval' file <path>' for a file ExampleGen wrote, else the path."""
  parent = os.path.basename(os.path.dirname(path))
  return (f"split {parent[len('Split-'):]!r} file {path}"
          if parent.startswith("Split-") else f"file {path}")


_REMEDY = "re-create it (e.g. re-run ExampleGen) or remove it"


def corruption(files: Sequence[str],
               remedy: str = _REMEDY) -> Optional[DataError]:
  """The DataError naming the first unreadable file of `files` and the
  records read before the damage; None when every file reads."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  for path in files:
    read = 0
    try:
      for _ in tf.data.TFRecordDataset([path],
                                       compression_type=compression_of([path])):
        read += 1
    except (tf.errors.DataLossError, tf.errors.InvalidArgumentError) as e:
      return corrupt_file(path, read, e, remedy)
  return None


def corrupt_file(path: str, read: int, error,
                 remedy: str = _REMEDY) -> DataError:
  """The DataError for TF's `error` reading `path` after `read` records."""
  return DataError(
      f"{describe(path)} is corrupt or truncated after record {read} "
      f"({_reason(error.message)}); {remedy}")


def _reason(message: str) -> str:
  """TF's record-reading message without its op decorations."""
  line = message.splitlines()[0] if message else ""
  return line.split("}}")[-1].split(" [Op:")[0].strip()


@contextlib.contextmanager
def named_corruption(files: Sequence[str]):
  """Re-raises TensorFlow's record-reading errors as a DataError naming the
  damaged file (TF's own message names neither file nor split)."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  try:
    yield
  except tf.errors.DataLossError as e:
    raise (corruption(files) or DataError(
        f"{describe(files[0])}: {_reason(e.message)}")) from e
  except tf.errors.InvalidArgumentError as e:
    located = corruption(files)
    if located is None:
      raise
    raise located from e


def feature_keys(files: Sequence[str], num_records: int = 10) -> Set[str]:
  """Returns the feature keys found in the first `num_records` examples."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  keys = set()
  ds = tf.data.TFRecordDataset(list(files), compression_type=compression_of(files))
  with named_corruption(files):
    for record in ds.take(num_records):
      keys.update(tf.train.Example.FromString(record.numpy()).features.feature)
  return keys


def feature_dtype(files: Sequence[str], key: str, num_records: int = 10) -> str:
  """The tf.Example dtype of feature `key`: 'int64', 'float32' or 'string'.

  Raises:
    InputMismatchError: no record among the first `num_records` has it.
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  ds = tf.data.TFRecordDataset(list(files), compression_type=compression_of(files))
  kinds = {"int64_list": "int64", "float_list": "float32",
           "bytes_list": "string"}
  with named_corruption(files):
    for record in ds.take(num_records):
      feature = tf.train.Example.FromString(record.numpy()).features.feature
      if key in feature and feature[key].WhichOneof("kind"):
        return kinds[feature[key].WhichOneof("kind")]
  raise InputMismatchError(
      f"feature {key!r} has no value in the first {num_records} records of "
      f"{files[0]}")


def check_inputs_are_features(specs: Mapping[str, InputSpec],
                              keys: Iterable[str], source: str) -> None:
  """Raises InputMismatchError unless every model input is a feature key.

  TFLite runtimes and TFMA feed inputs by name; TFMA silently fills a missing
  feature with -1, so a mismatch must fail here, loudly.
  """
  keys = set(keys)
  missing = [name for name in specs if name not in keys]
  if missing:
    raise InputMismatchError(
        f"Model input(s) {missing} are not features of {source} (features: "
        f"{sorted(keys)}). Name each Keras Input after the tf.Example feature "
        "it reads, e.g. tf_keras.Input(shape=..., name='<feature key>').")


def _feature_spec(spec: InputSpec):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  if any(d < 0 for d in spec.shape):
    raise UnsupportedModelError(
        f"Model input {spec.name!r} has a variable shape {spec.shape}; "
        "only fixed-shape inputs can be read from tf.Examples.")
  if spec.dtype in _FLOAT_DTYPES:
    dtype = tf.float32
  elif spec.dtype in _INT_DTYPES:
    dtype = tf.int64
  elif spec.dtype == "string":
    dtype = tf.string
  else:
    raise UnsupportedModelError(
        f"Model input {spec.name!r} has dtype {spec.dtype}, which has no "
        "tf.Example equivalent.")
  return tf.io.FixedLenFeature(list(spec.shape), dtype)


def parse_fn(specs: Mapping[str, InputSpec], label_key: Optional[str] = None):
  """Returns a function mapping a batch of serialized tf.Examples to inputs.

  With `label_key` it returns `(features, label)` pairs for Keras `fit`.
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  feature_spec = {name: _feature_spec(s) for name, s in specs.items()}
  if label_key is not None:
    feature_spec[label_key] = tf.io.FixedLenFeature([], tf.int64)

  def parse(serialized):
    parsed = tf.io.parse_example(serialized, feature_spec)
    features = {name: tf.cast(parsed[name], specs[name].dtype)
                if specs[name].dtype != "string" else parsed[name]
                for name in specs}
    if label_key is None:
      return features
    return features, parsed[label_key]

  return parse


def read_inputs(files: Sequence[str], specs: Mapping[str, InputSpec],
                limit: int) -> Dict[str, np.ndarray]:
  """Reads the first `limit` examples of `files` as numpy model inputs.

  Returns:
    Input name -> array of shape (n, *input shape), n <= limit.

  Raises:
    InputMismatchError: a feature is missing or has the wrong number of values.
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  ds = tf.data.TFRecordDataset(list(files), compression_type=compression_of(files))
  ds = ds.take(limit).batch(max(1, min(limit, 256))).map(parse_fn(specs))
  batches: List[Dict[str, np.ndarray]] = []
  try:
    with named_corruption(files):
      for batch in ds:
        batches.append({k: v.numpy() for k, v in batch.items()})
  except tf.errors.InvalidArgumentError as e:
    expected = {n: f"{s.dtype}{list(s.shape)} ({math.prod(s.shape)} values)"
                for n, s in specs.items()}
    raise InputMismatchError(
        f"Examples in {files[0]} do not match the model inputs {expected}: "
        f"{e.message}") from e
  if not batches:
    return {name: np.zeros((0,) + spec.shape) for name, spec in specs.items()}
  return {name: np.concatenate([b[name] for b in batches]) for name in specs}


def read_labelled(files: Sequence[str], specs: Mapping[str, InputSpec],
                  label_key: str, limit: int):
  """Reads up to `limit` examples as (model inputs, labels) numpy arrays."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  ds = tf.data.TFRecordDataset(list(files), compression_type=compression_of(files))
  ds = ds.take(limit).batch(256).map(parse_fn(specs, label_key))
  features, labels = [], []
  with named_corruption(files):
    for batch_features, batch_labels in ds:
      features.append({k: v.numpy() for k, v in batch_features.items()})
      labels.append(batch_labels.numpy())
  if not labels:
    raise InputMismatchError(f"No examples in {list(files)[:1]}...")
  return ({name: np.concatenate([f[name] for f in features]) for name in specs},
          np.concatenate(labels))


def count_records(files: Sequence[str], limit: Optional[int] = None) -> int:
  """The records in `files`, counted up to `limit` (no more is read; None:
  all of them)."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  ds = tf.data.TFRecordDataset(list(files), compression_type=compression_of(files))
  with named_corruption(files):
    return int(ds.take(-1 if limit is None else limit).reduce(
        0, lambda n, _: n + 1))


def read_serialized(files: Sequence[str], limit: int) -> List[bytes]:
  """The first `limit` serialized tf.Examples of `files`, as stored."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  ds = tf.data.TFRecordDataset(list(files), compression_type=compression_of(files))
  with named_corruption(files):
    return [r.numpy() for r in ds.take(limit)]
