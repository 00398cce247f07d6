"""What the CLI checks of the user's sources before anything runs: data
directories, module files (they must exist and compile), and paths a
cluster must be able to read."""

import contextlib
import os
import sys


# What a Trainer module that reads Transform's output contains (TFX's
# examples: tft.TFTransformOutput(fn_args.transform_output)).
_READS_TRANSFORM = ("fn_args.transform_output", "fn_args.transform_graph_path",
                    "TFTransformOutput(")


def _existing_file(path: str, flag: str) -> str:
  from tfx_compression.errors import CompressionConfigError  # pylint: disable=g-import-not-at-top
  if not os.path.isfile(path):
    raise CompressionConfigError(f"{flag} {path!r} is not a file")
  return os.path.abspath(path)


def _module_text(path: str, flag: str):
  """(absolute path, source) of a user module that compiles.

  Raises:
    CompressionConfigError: not a file, or a syntax error (before the
      pipeline runs, not when TFX imports it minutes later).
  """
  from tfx_compression.errors import CompressionConfigError  # pylint: disable=g-import-not-at-top
  path = _existing_file(path, flag)
  with open(path) as f:
    text = f.read()
  try:
    compile(text, path, "exec")
  except SyntaxError as e:
    raise CompressionConfigError(
        f"{flag} {path} does not compile: {e.msg} at line {e.lineno}; fix "
        "the module and run again") from e
  return path, text


def check(args, local_data: bool) -> None:
  """Checks the data and module options before anything runs.

  Args:
    args: Parsed options of `run` or `compile-kubeflow`.
    local_data: `--data` must be a local directory holding files (`run`).

  Raises:
    CompressionConfigError: a missing file or data directory, or a Trainer
      module that reads the Transform output without --transform-module.
    DataError: a file of a TFRecord --data directory does not read.
  """
  from tfx_compression.errors import CompressionConfigError  # pylint: disable=g-import-not-at-top
  if local_data and (not os.path.isdir(args.data) or not os.listdir(args.data)):
    raise CompressionConfigError(
        f"--data {args.data!r} is not a directory holding data files")
  if args.transform_module:
    _module_text(args.transform_module, "--transform-module")
  if args.trainer_module:
    _check_trainer(args)
  if local_data:
    _check_records(args.data)


def _check_trainer(args) -> None:
  from tfx_compression.errors import CompressionConfigError  # pylint: disable=g-import-not-at-top
  path, text = _module_text(args.trainer_module, "--trainer-module")
  if not args.transform_module and any(s in text for s in _READS_TRANSFORM):
    hint = (f"; it defines preprocessing_fn too: add --transform-module {path}"
            if "preprocessing_fn" in text else
            ": add --transform-module with your preprocessing_fn module")
    raise CompressionConfigError(
        f"--trainer-module {path} reads the Transform output "
        f"(fn_args.transform_output), but no --transform-module was given"
        f"{hint}")


def _check_records(data: str) -> None:
  """Unless every file is a CSV, ImportExampleGen reads every file of `data`
  as TFRecords of tf.Examples: a damaged one is named now, not as a raw
  Beam error minutes later."""
  from tfx_compression.errors import DataError  # pylint: disable=g-import-not-at-top
  files = sorted(os.path.join(data, f) for f in os.listdir(data))
  if all(f.endswith(".csv") for f in files):
    return
  from tfx_compression.lib.data import examples_io  # pylint: disable=g-import-not-at-top
  remedy = ("rewrite it or move it out of --data: unless every file there "
            "ends in .csv, each is read as TFRecords of tf.Examples (.gz: "
            "compressed)")
  damage = examples_io.corruption([f for f in files if os.path.isfile(f)],
                                  remedy)
  if damage is not None:
    raise DataError(f"--data: {damage}")


def check_cluster_paths(args, target, strict_target) -> None:
  """Local --data / --pipeline-root: refused for Vertex, a warning for KFP
  (an in-cluster volume may hold them)."""
  from tfx_compression.errors import CompressionConfigError  # pylint: disable=g-import-not-at-top
  for flag, path in (("--data", args.data),
                     ("--pipeline-root", args.pipeline_root)):
    if "://" in path:
      continue
    message = (f"{flag} {path!r} is a local path, which a {target.value} "
               "cluster cannot read; give a bucket path (gs://bucket/...; "
               "kubeflow/README.md shows how to copy a CSV there)")
    if target is strict_target:
      raise CompressionConfigError(message)
    print(f"warning: {message}, unless the cluster mounts it",
          file=sys.stderr)


@contextlib.contextmanager
def stdout_to_stderr():
  """Points fd 1 at fd 2 (child processes included) for the block."""
  sys.stdout.flush()
  saved = os.dup(1)
  os.dup2(2, 1)
  try:
    yield
  finally:
    sys.stdout.flush()
    os.dup2(saved, 1)
    os.close(saved)
