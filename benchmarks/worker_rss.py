"""Peak RSS of a process's descendants (Beam's worker processes), polled.

`resource.getrusage(RUSAGE_CHILDREN).ru_maxrss` cannot measure a worker: a
child forked from a large driver counts the driver's pages until it execs, so
every worker reads as big as its driver. /proc's VmHWM starts afresh at exec;
polling it over the live descendants gives each worker's own peak (a peak
reached in the last poll interval before a worker exits can be missed).
"""

import os
import threading


def _parents():
  out = {}
  for name in os.listdir("/proc"):
    if name.isdigit():
      try:
        with open(f"/proc/{name}/stat") as f:
          # pid (comm) state ppid ...; comm may hold spaces and brackets.
          out[int(name)] = int(f.read().rsplit(")", 1)[1].split()[1])
      except (OSError, IndexError, ValueError):
        pass
  return out


def _descendants(root: int):
  parents = _parents()
  found, frontier = set(), {root}
  while frontier:
    frontier = {pid for pid, ppid in parents.items()
                if ppid in frontier and pid not in found}
    found |= frontier
  return found


def _hwm_mb(pid: int) -> float:
  try:
    with open(f"/proc/{pid}/status") as f:
      for line in f:
        if line.startswith("VmHWM:"):
          return int(line.split()[1]) / 1024
  except OSError:
    pass
  return 0.0


class DescendantPeak:
  """Context manager: `.peak_mb`, the largest VmHWM of any descendant."""

  def __init__(self, interval_s: float = 0.25):
    self._interval = interval_s
    self._stop = threading.Event()
    self._thread = threading.Thread(target=self._poll, daemon=True)
    self.peak_mb = 0.0

  def _poll(self):
    while True:
      for pid in _descendants(os.getpid()):
        self.peak_mb = max(self.peak_mb, _hwm_mb(pid))
      if self._stop.wait(self._interval):
        return

  def __enter__(self):
    self._thread.start()
    return self

  def __exit__(self, *exc):
    self._stop.set()
    self._thread.join()
    return False
