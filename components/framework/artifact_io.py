"""Artifact layouts shared by every executor.

A Model artifact produced here follows TFX's layout, so the stock Evaluator,
Pusher and TF Serving read it unchanged:

  <uri>/Format-Serving/            a Keras SavedModel (Trainer, Pruner, QAT) or
  <uri>/Format-Serving/tflite      a TFLite flatbuffer (file named `tflite`,
                                   where TFMA looks for model_type tf_lite)
  <uri>/report.json                what the step did and measured (ours)
"""

import contextlib
import json
import os
from typing import Any, Iterator, List, Mapping

from tfx.dsl.io import fileio
from tfx.types import artifact_utils

from tfx_compression.errors import CompressionConfigError
from tfx_compression.errors import UnsupportedModelError

from tfx_compression.framework.model_files import read_bytes  # pylint: disable=unused-import
from tfx_compression.framework.model_files import REPORT_FILE
from tfx_compression.framework.model_files import SERVING_DIR
from tfx_compression.framework.model_files import tflite_path
from tfx_compression.framework.model_files import TFLITE_FILE  # pylint: disable=unused-import
from tfx_compression.framework.model_files import write_bytes  # pylint: disable=unused-import


def serving_dir(model_uri: str) -> str:
  """Returns `<model_uri>/Format-Serving`, which must exist."""
  path = os.path.join(model_uri, SERVING_DIR)
  if not fileio.isdir(path):
    found = sorted(fileio.listdir(model_uri)) if fileio.isdir(model_uri) else []
    raise UnsupportedModelError(
        f"Model artifact {model_uri} has no {SERVING_DIR} directory (found "
        f"{found or 'nothing'}). Expected a TFX Model artifact, e.g. a "
        "Trainer's output written by run_fn to fn_args.serving_model_dir.")
  return path


def keras_dir(model_uri: str, component: str) -> str:
  """Returns the Format-Serving directory of a Model holding a Keras SavedModel.

  Raises:
    UnsupportedModelError: the artifact has no Format-Serving directory, or
      holds a TFLite model, which `component` cannot take.
  """
  if is_tflite(model_uri):
    raise UnsupportedModelError(
        f"Model artifact {model_uri} already holds a TFLite model; {component} "
        "takes Keras SavedModels (a Trainer's, Pruner's or QAT's Keras output).")
  return serving_dir(model_uri)


def is_tflite(model_uri: str) -> bool:
  """Whether the Model artifact at `model_uri` holds a TFLite model."""
  return fileio.exists(tflite_path(model_uri))


def split_files(examples, split: str) -> List[str]:
  """Returns the record files of one split of an Examples artifact.

  Raises:
    CompressionConfigError: the split does not exist or holds no file.
  """
  names = artifact_utils.decode_split_names(examples.split_names)
  if split not in names:
    raise CompressionConfigError(
        f"split {split!r} is not a split of Examples {examples.uri}; "
        f"available: {names}")
  uri = artifact_utils.get_split_uri([examples], split)
  files = sorted(f for f in fileio.glob(os.path.join(uri, "*"))
                 if not fileio.isdir(f))
  if not files:
    raise CompressionConfigError(
        f"split {split!r} of Examples {examples.uri} is empty (no file in {uri})")
  return files


def copy_dir(source: str, destination: str) -> None:
  """Copies the local directory `source` to `destination` (any filesystem)."""
  from tfx.utils import io_utils  # pylint: disable=g-import-not-at-top
  io_utils.copy_dir(source, destination)


def read_json(path: str) -> Any:
  """The JSON at `path`, or None when there is no such file.

  Raises:
    ValueError: the file is not JSON.
  """
  if not fileio.exists(path):
    return None
  with fileio.open(path, "r") as f:
    return json.loads(f.read())


def write_json(path: str, value: Any) -> None:
  """Writes `value` as indented JSON to `path`, creating its directory."""
  fileio.makedirs(os.path.dirname(path))
  with fileio.open(path, "w") as f:
    f.write(json.dumps(value, indent=2, sort_keys=True))


def files(uri: str) -> List[str]:
  """The entries of directory `uri` (none when it does not exist)."""
  return sorted(fileio.listdir(uri)) if fileio.exists(uri) else []


def write_report(uri: str, report: Mapping[str, Any]) -> None:
  """Writes `report` to `<uri>/report.json`."""
  write_json(os.path.join(uri, REPORT_FILE), report)


@contextlib.contextmanager
def cleared_on_failure(uri: str, keep=()) -> Iterator[None]:
  """Empties the output directory `uri` if the block raises.

  TFX does not publish the artifacts of a failed execution, but their files
  stay on disk; this removes them so no half-written model can be picked up.
  Errors of the `keep` types leave the files (a rejected candidate's
  evidence, published as rejected).
  """
  try:
    yield
  except tuple(keep):
    raise
  except BaseException:
    if fileio.exists(uri):
      for entry in fileio.listdir(uri):
        path = os.path.join(uri, entry)
        if fileio.isdir(path):
          fileio.rmtree(path)
        else:
          fileio.remove(path)
    raise
