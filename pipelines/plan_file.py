"""Reads a CompressionPlan from the `--config` file (YAML or JSON)."""

import os


def load_plan(path):
  """Reads a CompressionPlan from a JSON or YAML file (None: the defaults)."""
  # pylint: disable=g-import-not-at-top
  import json
  from tfx_compression.errors import CompressionConfigError
  from tfx_compression.pipelines.compression import CompressionPlan
  if path is None:
    return CompressionPlan()
  if not os.path.isfile(path):
    raise CompressionConfigError(f"--config file {path!r} does not exist")
  with open(path) as f:
    text = f.read()
  import yaml
  try:
    if path.endswith((".yaml", ".yml")):
      values = yaml.safe_load(text)
    else:
      values = json.loads(text)
  except json.JSONDecodeError as e:
    raise CompressionConfigError(
        f"--config file {path!r} is not valid JSON: {e.msg} at line "
        f"{e.lineno}, column {e.colno}") from e
  except yaml.YAMLError as e:
    mark = getattr(e, "problem_mark", None)
    where = (f" at line {mark.line + 1}, column {mark.column + 1}"
             if mark is not None else "")
    problem = getattr(e, "problem", None) or type(e).__name__
    raise CompressionConfigError(
        f"--config file {path!r} is not valid YAML: {problem}{where}") from e
  if not isinstance(values, dict):
    raise CompressionConfigError(
        f"--config file {path!r} must hold a mapping of plan fields; got "
        f"{type(values).__name__}")
  return CompressionPlan.from_dict(values)
