"""The MicroExporter's work on plain objects: check, measure, write C sources."""

import dataclasses
from typing import Any


@dataclasses.dataclass(frozen=True)
class Exported:
  header: str  # model_data.h
  source: str  # model_data.cc
  arena: Any  # micro.ArenaMeasurement


def export(model_bytes: bytes, config, what: str,
           header_file: str) -> Exported:
  """Refuses non-int8 I/O, measures the arena and writes the C sources
  (the source includes `header_file`).

  Raises:
    FloatIoModelError: the model's inputs or outputs are not int8.
  """
  from tfx_compression.lib.export import micro  # pylint: disable=g-import-not-at-top
  micro.check_int8_io(model_bytes, what)
  arena = micro.measure_arena(model_bytes, config.arena_margin,
                              config.arena_overhead_bytes)
  header, source = micro.c_sources(
      model_bytes, config.array_name, header_file,
      arena.recommended_bytes, comment=f"Source: {what}")
  return Exported(header, source, arena)
