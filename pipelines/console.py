"""A quiet console for local runs: progress and results on the terminal,
everything else (TensorFlow, absl, Beam, TFLite converter output) in a log.

`quiet()` points the process's stdout and stderr file descriptors at a log
file for the duration of a run, so that C++ log lines (cuDNN/cuFFT factory
errors, "Ignored output_format", "fully_quantize: 0 ...") go there as well
as Python's; it yields a stream to the real terminal for what the user
should read. `--verbose` keeps everything on the terminal.

`Progress` reports each component as TFX records it in MLMD (the
executions of each node's context: running, complete, cached, failed),
not by parsing log text.
"""

import contextlib
import os
import sys
import threading
from typing import Dict, Iterator, Sequence, TextIO

_STATE_NAMES = {2: "running", 3: "done", 5: "cached", 4: "FAILED",
                6: "canceled"}


@contextlib.contextmanager
def quiet(log_path: str, verbose: bool) -> Iterator[TextIO]:
  """Redirects fd 1 and 2 to `log_path` (unless `verbose`); yields the terminal."""
  if verbose:
    yield sys.stdout
    return
  try:
    real_stdout = sys.stdout.fileno() == 1
  except (AttributeError, ValueError, OSError):
    real_stdout = False  # e.g. under a test runner capturing sys.stdout
  sys.stdout.flush()
  sys.stderr.flush()
  os.makedirs(os.path.dirname(log_path), exist_ok=True)
  saved = os.dup(1), os.dup(2)
  terminal = (os.fdopen(os.dup(saved[0]), "w", buffering=1) if real_stdout
              else sys.stdout)
  with open(log_path, "a") as log:
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)
    try:
      yield terminal
    finally:
      sys.stdout.flush()
      sys.stderr.flush()
      os.dup2(saved[0], 1)
      os.dup2(saved[1], 2)
      os.close(saved[0])
      os.close(saved[1])
      if real_stdout:
        terminal.close()


class Progress(threading.Thread):
  """Prints one line per component as its MLMD execution starts and ends."""

  def __init__(self, metadata_path: str, pipeline_name: str,
               node_ids: Sequence[str], out: TextIO, interval: float = 1.0):
    super().__init__(daemon=True)
    self._path, self._pipeline, self._nodes = (metadata_path, pipeline_name,
                                               list(node_ids))
    self._out, self._interval = out, interval
    self._halt = threading.Event()
    self._seen: Dict[int, int] = {}  # execution id -> last state printed

  def start(self) -> None:
    """Starts polling; executions of earlier runs in the database are not
    reported (a re-run in the same workdir shows this run only)."""
    self._poll(report=False)
    super().start()

  def stop(self) -> None:
    self._halt.set()
    self.join(10)
    self._poll()  # the last transitions

  def run(self) -> None:
    while not self._halt.wait(self._interval):
      self._poll()

  def _poll(self, report: bool = True) -> None:
    # pylint: disable=g-import-not-at-top
    from ml_metadata import errors as mlmd_errors
    from ml_metadata import metadata_store
    from tfx.orchestration import metadata
    if not os.path.exists(self._path):
      return
    try:
      store = metadata_store.MetadataStore(
          metadata.sqlite_metadata_connection_config(self._path))
      for node in self._nodes:
        context = store.get_context_by_type_and_name(
            "node", f"{self._pipeline}.{node}")
        if context is None:
          continue
        for execution in store.get_executions_by_context(context.id):
          if report:
            self._report(node, execution)
          else:
            self._seen[execution.id] = -1  # an earlier run's
    except (mlmd_errors.StatusError, RuntimeError):
      pass  # the database is being written; next poll

  def _report(self, node: str, execution) -> None:
    state = int(execution.last_known_state)
    seen = self._seen.get(execution.id)
    if seen in (state, -1) or state not in _STATE_NAMES:
      return
    self._seen[execution.id] = state
    name = _STATE_NAMES[state]
    if name == "running":
      self._out.write(f"  ... {node}\n")
    else:
      # MLMD's own times (ms): never negative, right even when the start
      # was not seen.
      took = max(0, execution.last_update_time_since_epoch -
                 execution.create_time_since_epoch) / 1000
      self._out.write(f"  {name} {node}" +
                      (f" ({took:.0f} s)" if name == "done" else "") + "\n")
    self._out.flush()
