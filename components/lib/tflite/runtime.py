"""The one place a TFLite interpreter is made: LiteRT, TensorFlow's as fallback.

LiteRT (`ai-edge-litert`) is the runtime phones and edge boards run; TF
2.16's `tf.lite.Interpreter` is deprecated in its favour. Every validation,
evaluation, latency, memory and benchmark figure comes from `interpreter()`,
and reports record which runtime and version produced them (`describe()`).
Set TFX_COMPRESSION_TFLITE_RUNTIME=tensorflow to force TF's interpreter
(e.g. to compare the two).
"""

import functools
import os
from typing import Dict, List, Optional

LITERT = "ai-edge-litert"
TENSORFLOW = "tensorflow"
RUNTIME_ENV = "TFX_COMPRESSION_TFLITE_RUNTIME"


@functools.lru_cache(maxsize=None)
def _litert():
  try:
    from ai_edge_litert import interpreter  # pylint: disable=g-import-not-at-top
  except ImportError:
    return None
  return interpreter


def chosen() -> str:
  """LITERT when installed and not overridden, else TENSORFLOW."""
  wanted = os.environ.get(RUNTIME_ENV, LITERT)
  return LITERT if wanted == LITERT and _litert() is not None else TENSORFLOW


def interpreter_class(runtime: Optional[str] = None):
  if (runtime or chosen()) == LITERT and _litert() is not None:
    return _litert().Interpreter
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  return tf.lite.Interpreter


def flex_ops(model_bytes: bytes) -> List[str]:
  """The TensorFlow (select TF, 'Flex') ops a TFLite model uses, sorted.

  Read from the flatbuffer's operator codes (no interpreter is made).
  """
  if b"Flex" not in model_bytes:  # custom codes are stored as plain strings
    return []
  from tensorflow.lite.python import schema_py_generated as schema  # pylint: disable=g-import-not-at-top
  model = schema.Model.GetRootAsModel(bytearray(model_bytes), 0)
  codes = (model.OperatorCodes(i).CustomCode()
           for i in range(model.OperatorCodesLength()))
  return sorted({c.decode()[len("Flex"):] for c in codes
                 if c and c.startswith(b"Flex")})


def interpreter(model_bytes: Optional[bytes] = None,
                model_path: Optional[str] = None, num_threads: int = 1,
                runtime: Optional[str] = None, **kwargs):
  """An interpreter of the chosen runtime (not yet allocated).

  A model with select TF ops runs on TensorFlow's interpreter, which links
  the Flex delegate (LiteRT's Python wheel does not).
  """
  if runtime is None and chosen() == LITERT:
    data = model_bytes
    if data is None and model_path is not None:
      with open(model_path, "rb") as f:
        data = f.read()
    if data is not None and flex_ops(data):
      runtime = TENSORFLOW
  return interpreter_class(runtime)(model_content=model_bytes,
                                    model_path=model_path,
                                    num_threads=num_threads, **kwargs)


@functools.lru_cache(maxsize=None)
def _version(runtime: str) -> str:
  from importlib import metadata  # pylint: disable=g-import-not-at-top
  package = LITERT if runtime == LITERT else "tensorflow"
  try:
    return metadata.version(package)
  except metadata.PackageNotFoundError:
    return "unknown"


def describe(runtime: Optional[str] = None) -> Dict[str, str]:
  """{'runtime': ..., 'version': ...} for reports."""
  runtime = runtime or chosen()
  return {"runtime": runtime, "version": _version(runtime)}
