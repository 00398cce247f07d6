"""Sizes and durations as people read them: KB/MB, µs/ms.

Reports and check reasons use these, never raw byte counts. KB and MB are
binary (1 KB = 1024 bytes), as everywhere in this project's tables.
"""

from typing import Optional

KB = 1024
MB = 1024 * 1024


def size(num_bytes: Optional[float]) -> str:
  """'812 B', '56.4 KB' or '1.23 MB' ('' for None)."""
  if num_bytes is None:
    return ""
  value = float(num_bytes)
  if abs(value) < KB:
    return f"{value:.0f} B"
  if abs(value) < MB:
    return f"{value / KB:.1f} KB"
  return f"{value / MB:.2f} MB"


def size_unit(largest_bytes: float):
  """(divisor, 'KB' or 'MB') for an axis whose values reach `largest_bytes`."""
  return (MB, "MB") if abs(largest_bytes) >= MB else (KB, "KB")


def duration_us(microseconds: Optional[float]) -> str:
  """'38.2 µs' or '1.25 ms' ('' for None)."""
  if microseconds is None:
    return ""
  value = float(microseconds)
  if abs(value) < 1000:
    return f"{value:.1f} µs"
  return f"{value / 1000:.3g} ms" if abs(value) < 10**6 else (
      f"{value / 10**6:.3g} s")


def duration_unit(largest_us: float):
  """(divisor, 'µs' or 'ms') for an axis whose values reach `largest_us`."""
  return (1000.0, "ms") if abs(largest_us) >= 1000 else (1.0, "µs")
