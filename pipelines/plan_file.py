"""Reads a CompressionPlan from the `--config` file (YAML or JSON)."""

import os


class DuplicateKeyError(ValueError):
  """A YAML mapping names a key twice (YAML would keep the last silently)."""


def _unique_keys_loader(yaml):
  """yaml.SafeLoader that refuses a key given twice in one mapping."""

  class Loader(yaml.SafeLoader):  # pylint: disable=too-many-ancestors

    def construct_mapping(self, node, deep=False):
      seen = {}
      for key_node, _ in node.value:
        key = self.construct_object(key_node, deep=deep)
        if key in seen:
          raise DuplicateKeyError(
              f"key {key!r} is given twice (lines {seen[key]} and "
              f"{key_node.start_mark.line + 1}); keep one")
        seen[key] = key_node.start_mark.line + 1
      return super().construct_mapping(node, deep=deep)

  return Loader


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
      values = yaml.load(text, Loader=_unique_keys_loader(yaml))  # nosec: safe
    else:
      values = json.loads(text)
  except json.JSONDecodeError as e:
    raise CompressionConfigError(
        f"--config file {path!r} is not valid JSON: {e.msg} at line "
        f"{e.lineno}, column {e.colno}") from e
  except DuplicateKeyError as e:
    raise CompressionConfigError(f"--config file {path!r}: {e}") from e
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
  try:
    return CompressionPlan.from_dict(values)
  except CompressionConfigError as e:
    raise CompressionConfigError(f"--config file {path!r}: {e}") from e
