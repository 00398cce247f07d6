"""User code: functions named in a config, from a module file or a dotted path.

The only code a component runs besides its own is what the user names here
(`input_fn`, `model_fn`), never code stored in an artifact.
"""

from typing import Callable, Optional

from tfx_compression.errors import CompressionConfigError


def load_fn(field: str, name: str, module_file: Optional[str]) -> Callable:
  """Imports the function `name` ('package.module.fn', or a name in `module_file`).

  Raises:
    CompressionConfigError: it cannot be imported, naming the field.
  """
  from tfx.components.util import udf_utils  # pylint: disable=g-import-not-at-top
  props = {field: name}
  if module_file:
    props["module_file"] = module_file
  try:
    fn = udf_utils.get_fn(props, field)
  except (ImportError, AttributeError, ValueError, FileNotFoundError,
          SyntaxError) as e:
    raise CompressionConfigError(
        f"{field} {name!r} (module_file {module_file!r}) cannot be loaded: "
        f"{type(e).__name__}: {e}") from e
  if not callable(fn):
    raise CompressionConfigError(
        f"{field} {name!r} is not a function; got {type(fn).__name__}")
  return fn
