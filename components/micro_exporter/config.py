"""MicroExporter configuration: validated on construction, one JSON property."""

import dataclasses

from tfx_compression.framework import config_utils
from tfx_compression.errors import CompressionConfigError

# The component's one exec property (its spec's parameter).
CONFIG_KEY = "micro_exporter_config"
_MAX_OVERHEAD_BYTES = 1 << 30


@dataclasses.dataclass(frozen=True)
class MicroExporterConfig(config_utils.JsonConfig, key=CONFIG_KEY,
                          label="MicroExporter config"):
  """How MicroExporter names the C array and sizes the tensor arena.

  Attributes:
    array_name: C identifier of the model array; the length is
      `<array_name>_len` and the arena macro `<ARRAY_NAME>_TENSOR_ARENA_SIZE`.
    arena_margin: Relative margin on the measured arena peak (0.25: +25 %)
      for TFLite Micro's own allocations in the arena (see README).
    arena_overhead_bytes: Fixed bytes added after the relative margin.
  """

  array_name: str = "g_model_data"
  arena_margin: float = 0.25
  arena_overhead_bytes: int = 4096

  def __post_init__(self):
    set_ = lambda k, v: object.__setattr__(self, k, v)
    if (not isinstance(self.array_name, str)
        or not self.array_name.isidentifier()
        or not self.array_name.isascii()):
      raise CompressionConfigError(
          "array_name must be a C identifier ([A-Za-z_][A-Za-z0-9_]*); got "
          f"{self.array_name!r}")
    set_("arena_margin", config_utils.check_float(
        self.arena_margin, "arena_margin", 0.0, 10.0))
    config_utils.check_int(self.arena_overhead_bytes, "arena_overhead_bytes",
                           minimum=0, maximum=_MAX_OVERHEAD_BYTES)
