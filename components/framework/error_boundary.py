"""Errors at a component's boundary: TensorFlow, TFMA and Beam errors as ours.

Whatever a library raises inside an executor leaves it as one of our errors
(`errors.py`), naming the component and the artifact it was working on;
`raise ... from` keeps the library's error as the cause (`--verbose` shows
it). Corrupt records become `DataError`, data TensorFlow refuses
`InputMismatchError` (both ValueErrors: exit code 2), anything else
`StepFailedError` (a RuntimeError: exit code 1).
"""

import contextlib
from typing import Iterator

from tfx_compression.errors import CompressionError
from tfx_compression.errors import DataError
from tfx_compression.errors import InputMismatchError
from tfx_compression.errors import StepFailedError

_NOISE = ("Graph execution error", "Detected at node", "File ", "[[{{node",
          "Traceback", "Stack trace")


def essence(message: str) -> str:
  """The informative line of a TensorFlow error message.

  TF's messages start with 'Graph execution error:' and a stack; the line
  naming the feature, file or op is further down.
  """
  lines = [l.strip() for l in str(message).splitlines() if l.strip()]
  useful = [l for l in lines if not l.startswith(_NOISE)]
  for line in useful:
    if any(word in line for word in ("Feature", "feature", "corrupted",
                                     "truncated", "Key:", "Name:")):
      return line
  return useful[-1] if useful else (lines[0] if lines else "")


def translate(error: Exception, component: str, uri: str) -> CompressionError:
  """`error` as one of ours, naming the component and the artifact."""
  if isinstance(error, CompressionError):
    return error
  kind = type(error).__name__
  text = essence(getattr(error, "message", None) or str(error))
  where = f"{component} on {uri}"
  if kind in ("DataLossError",) or "corrupted record" in text:
    return DataError(f"{where}: a TFRecord file is corrupt or truncated: "
                     f"{text}")
  if kind == "InvalidArgumentError":
    return InputMismatchError(
        f"{where}: TensorFlow refused the data: {text}")
  return StepFailedError(f"{where} failed: {kind}: {text}")


@contextlib.contextmanager
def reported_as(component: str, uri: str) -> Iterator[None]:
  """Re-raises any non-tfx-compression error as ours (see `translate`)."""
  try:
    yield
  except CompressionError:
    raise
  except Exception as e:  # pylint: disable=broad-except
    raise translate(e, component, uri) from e
