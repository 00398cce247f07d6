"""A Model artifact's files by path, without TFX: the directory layout and
bytes on any filesystem TensorFlow reads (local, gs://).

Runners and libraries use this; `artifact_io` is the artifact-level side.
"""

import os

SERVING_DIR = "Format-Serving"
TFLITE_FILE = "tflite"
REPORT_FILE = "report.json"


def tflite_path(model_uri: str) -> str:
  """Returns where a TFLite Model artifact keeps its flatbuffer."""
  return os.path.join(model_uri, SERVING_DIR, TFLITE_FILE)


def write_bytes(path: str, data: bytes) -> None:
  """Writes `data` to `path`, creating its directory."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  tf.io.gfile.makedirs(os.path.dirname(path))
  with tf.io.gfile.GFile(path, "wb") as f:
    f.write(data)


def read_bytes(path: str) -> bytes:
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  with tf.io.gfile.GFile(path, "rb") as f:
    return f.read()
