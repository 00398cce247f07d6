"""Validation helpers shared by every component's config class."""

import enum
import json
import math
import re
from typing import Any, Callable, ClassVar, Dict, Mapping, Tuple, Type, TypeVar

from tfx_compression.errors import CompressionConfigError

E = TypeVar("E", bound=enum.Enum)
C = TypeVar("C", bound="JsonConfig")


def parse_enum(enum_cls: Type[E], value: Any, field: str) -> E:
  """Returns `value` as a member of `enum_cls`, accepting members or their values.

  Raises:
    CompressionConfigError: naming the field, the value and the allowed values.
  """
  if isinstance(value, enum_cls):
    return value
  for member in enum_cls:
    if value == member.value:
      return member
  try:  # an enum's `_missing_` may accept an older spelling
    return enum_cls(value)
  except (ValueError, TypeError):
    pass
  allowed = ", ".join(repr(m.value) for m in enum_cls)
  raise CompressionConfigError(
      f"{field} must be one of {allowed}; got {value!r}")


def parse_enum_fields(config, prefix: str = "") -> None:
  """Sets every enum-typed field of dataclass `config` to its member.

  Each field declared with an `enum.Enum` type is passed through
  `parse_enum` (members or their values accepted), so a frozen config's
  `__post_init__` need not repeat one line per closed set.

  Args:
    config: A (frozen) dataclass instance.
    prefix: Put before the field names in messages, e.g. 'channels.'.

  Raises:
    CompressionConfigError: naming the field, the value and the allowed values.
  """
  import dataclasses  # pylint: disable=g-import-not-at-top
  for f in dataclasses.fields(config):
    if isinstance(f.type, type) and issubclass(f.type, enum.Enum):
      object.__setattr__(config, f.name, parse_enum(
          f.type, getattr(config, f.name), prefix + f.name))


def check_int(value: Any, field: str, minimum: int = None,
              maximum: int = None) -> int:
  """Returns `value` if it is an int within [minimum, maximum]."""
  if isinstance(value, bool) or not isinstance(value, int):
    raise CompressionConfigError(
        f"{field} must be an integer; got {value!r}")
  return _check_range(value, field, minimum, maximum)


def check_nonempty_str(value: Any, field: str) -> str:
  """Returns `value` if it is a non-empty string."""
  if not isinstance(value, str) or not value:
    raise CompressionConfigError(
        f"{field} must be a non-empty string; got {value!r}")
  return value


def check_float(value: Any, field: str, minimum: float = None,
                maximum: float = None) -> float:
  """Returns `value` as a float if it is a finite number within [minimum, maximum].

  NaN and infinities are refused: NaN passes every comparison, so a NaN
  limit would accept anything.
  """
  if isinstance(value, bool) or not isinstance(value, (int, float)):
    raise CompressionConfigError(f"{field} must be a number; got {value!r}")
  if not math.isfinite(value):
    raise CompressionConfigError(
        f"{field} must be a finite number; got {value!r}")
  return float(_check_range(value, field, minimum, maximum))


def _check_range(value, field: str, minimum, maximum):
  """Returns `value` if it lies within [minimum, maximum] (None: unbounded)."""
  if minimum is not None and value < minimum:
    raise CompressionConfigError(f"{field} must be >= {minimum}; got {value!r}")
  if maximum is not None and value > maximum:
    raise CompressionConfigError(f"{field} must be <= {maximum}; got {value!r}")
  return value


def check_fraction(value: Any, field: str) -> float:
  """`value` as a float in [0, 1) (a sparsity or a share of channels)."""
  if (isinstance(value, bool) or not isinstance(value, (int, float))
      or not 0.0 <= value < 1.0):
    raise CompressionConfigError(f"{field} must be in [0, 1); got {value!r}")
  return float(value)


def check_sequence(value: Any, field: str) -> Tuple:
  """Returns a list or tuple `value` as a tuple (a bare string is refused).

  A string where a list is expected would otherwise be iterated character
  by character ('none' -> 'n', 'o', ...).
  """
  if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
    raise CompressionConfigError(
        f"{field} must be a list; got {type(value).__name__} {value!r}")
  return tuple(value)


def to_jsonable(value: Any) -> Any:
  """Dataclasses, enums and tuples as JSON-ready dicts, strings and lists."""
  import dataclasses  # pylint: disable=g-import-not-at-top
  if dataclasses.is_dataclass(value):
    return {f.name: to_jsonable(getattr(value, f.name))
            for f in dataclasses.fields(value)}
  if isinstance(value, enum.Enum):
    return value.value
  if isinstance(value, (tuple, list)):
    return [to_jsonable(v) for v in value]
  return value


# A message that starts with the field path it is about: "num_calibration_
# examples must be >= 1", "schedule.target_sparsity must ...", "selection:
# unknown selection field(s) ...".
_ABOUT_FIELD = re.compile(
    r"([a-z_][a-z0-9_]*)((?:\.[a-z_][a-z0-9_]*)*)"
    r"(?=(?: (?:must|is|are|has) )|:)|([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)+) ")


def at_key(key: str, message: str) -> str:
  """`message` of an error in the config at `key`, as a key path:
  'pruner.selection.exclude_names must ...', 'pruner.selection: unknown
  selection field(s) ...' ('key: message' when it names no field)."""
  about = _ABOUT_FIELD.match(message)
  if about is None:
    return f"{key}: {message}"
  path = about.group(0).strip()
  if path == key or path.startswith(key + "."):
    return message
  return f"{key}.{message}"


def converted_at(key: str, convert: Callable[[Any], Any]):
  """`convert`, its errors (and raw type errors of a value of the wrong
  kind) naming `key` (`at_key`)."""

  def run(value):
    try:
      return convert(value)
    except CompressionConfigError as e:
      raise CompressionConfigError(at_key(key, str(e))) from e
    except (TypeError, ValueError, AttributeError) as e:
      raise CompressionConfigError(
          f"{key}: {value!r} is not a valid value ({type(e).__name__}: "
          f"{e})") from e

  return run


def from_mapping(cls, values: Any, field: str, converters=None):
  """Builds dataclass `cls` from a mapping, rejecting unknown keys by name.

  Args:
    cls: The dataclass.
    values: A mapping of field values (e.g. from JSON).
    field: How to name the config in messages.
    converters: Field name -> function applied to that field's value.
  """
  import dataclasses  # pylint: disable=g-import-not-at-top
  if not isinstance(values, dict):
    raise CompressionConfigError(f"{field} must be a mapping; got {values!r}")
  names = [f.name for f in dataclasses.fields(cls)]
  unknown = sorted(set(values) - set(names))
  if unknown:
    raise CompressionConfigError(
        f"unknown {field} field(s) {unknown}; allowed: {names}")
  values = dict(values)
  for name, convert in (converters or {}).items():
    if values.get(name) is not None:
      values[name] = converted_at(name, convert)(values[name])
  return cls(**values)


def config_or_default(config: Any, cls: type):
  """Returns `config`, or `cls()` when it is None.

  Raises:
    CompressionConfigError: `config` is neither None nor a `cls`.
  """
  if config is None:
    return cls()
  if not isinstance(config, cls):
    raise CompressionConfigError(
        f"config must be a {cls.__name__}; got {type(config).__name__}")
  return config


# The one config contract: every component stores its config as one JSON
# exec property, `dump` writes and `load` reads it, with a schema version so
# that a compiled pipeline and a newer image can tell a config they do not
# understand from a wrong one.
SCHEMA_VERSION = 1
SCHEMA_VERSION_KEY = "schema_version"


def dump(config) -> str:
  """`config.to_dict()` with the schema version, as sorted JSON."""
  return json.dumps(dict(config.to_dict(), **{SCHEMA_VERSION_KEY:
                                              SCHEMA_VERSION}),
                    sort_keys=True)


def load(cls, text: Any, what: str):
  """The config `dump` wrote (`cls.from_dict` of it).

  Raises:
    CompressionConfigError: not JSON, not a mapping, or written by a newer
      tfx-compression (a schema version above SCHEMA_VERSION).
  """
  try:
    values = json.loads(text)
  except (TypeError, ValueError) as e:
    raise CompressionConfigError(f"{what} is not JSON: {e}") from e
  if not isinstance(values, dict):
    raise CompressionConfigError(
        f"{what} must be a JSON object; got {type(values).__name__}")
  version = values.pop(SCHEMA_VERSION_KEY, 1)
  if not isinstance(version, int) or version > SCHEMA_VERSION:
    raise CompressionConfigError(
        f"{what} has schema version {version!r}, written by a newer "
        f"tfx-compression; this one reads up to version {SCHEMA_VERSION}. "
        "Run the pipeline with the image it was compiled for, or recompile "
        "it with this version.")
  return cls.from_dict(values)


def load_exec_property(cls, props: Mapping[str, Any], key: str, what: str):
  """A component's config from its exec properties.

  Pipelines compiled before the one-property contract passed a config's
  fields as separate exec properties; those are read as such.
  """
  if key in props:
    return load(cls, props[key], what)
  import dataclasses  # pylint: disable=g-import-not-at-top
  names = {f.name for f in dataclasses.fields(cls)}
  legacy = {k: v for k, v in props.items() if k in names}
  for k, v in legacy.items():
    if isinstance(v, str) and v.startswith("["):  # tuples as JSON lists
      legacy[k] = json.loads(v)
  return cls.from_dict(legacy)


class JsonConfig:
  """The config contract, once: a component config as one JSON exec property.

  Mixed into each component's frozen config dataclass, which names its
  exec property and how messages call it in the class statement:

      @dataclasses.dataclass(frozen=True)
      class LiteConverterConfig(config_utils.JsonConfig,
                                key="lite_converter_config",
                                label="LiteConverter config"):

  `to_dict` / `from_dict` convert to and from plain JSON-ready dicts (the
  form CLI plan files use), `to_json` / `from_json` add the schema version
  (`dump` / `load`), and `to_exec_properties` / `from_exec_properties` are
  the component's one exec property {CONFIG_KEY: to_json()} (reading the
  flat properties of pipelines compiled before it too). A config with
  nested dataclass fields overrides `field_converters`.
  """

  CONFIG_KEY: ClassVar[str]  # the component's one exec property
  LABEL: ClassVar[str]  # how messages name the config, e.g. 'QAT config'

  def __init_subclass__(cls, key: str = None, label: str = None, **kwargs):
    super().__init_subclass__(**kwargs)
    if key is not None:
      cls.CONFIG_KEY = key
    if label is not None:
      cls.LABEL = label

  @classmethod
  def field_converters(cls) -> Dict[str, Callable[[Any], Any]]:
    """Field name -> builder of that field from its `to_dict` form."""
    return {}

  def to_dict(self) -> dict:
    """The config as a JSON-ready dict (enums by value, tuples as lists)."""
    return to_jsonable(self)

  @classmethod
  def from_dict(cls: Type[C], values: Mapping[str, Any]) -> C:
    """Builds a config from `to_dict` output or a hand-written dict (CLI files).

    Raises:
      CompressionConfigError: not a mapping, an unknown field, or a value
        the config refuses.
    """
    if isinstance(values, Mapping):
      values = dict(values)
    return from_mapping(cls, values, cls.LABEL, cls.field_converters())

  def to_json(self) -> str:
    """`to_dict` with the schema version, as sorted JSON (see `dump`)."""
    return dump(self)

  @classmethod
  def from_json(cls: Type[C], text: str) -> C:
    """The config `to_json` wrote (see `load`)."""
    return load(cls, text, cls.LABEL)

  def to_exec_properties(self) -> dict:
    """The component's one exec property: {CONFIG_KEY: to_json()}."""
    return {self.CONFIG_KEY: self.to_json()}

  @classmethod
  def from_exec_properties(cls: Type[C], props: Mapping[str, Any]) -> C:
    """The config from a component's exec properties (see `load_exec_property`)."""
    return load_exec_property(cls, props, cls.CONFIG_KEY, cls.LABEL)
