"""One run per working directory: a second concurrent run is refused at once.

Two LocalDagRunner runs on one pipeline root and MLMD database would both
execute every node and push every model twice. The lock is an advisory
`flock` on `<workdir>/.tfx-compression.lock`, released when the process
ends, even when it is killed.
"""

import contextlib
import datetime
import fcntl
import os
from typing import Iterator

LOCK_FILE = ".tfx-compression.lock"


@contextlib.contextmanager
def exclusive(workdir: str) -> Iterator[None]:
  """Holds the workdir's lock for the block.

  Raises:
    WorkdirInUseError: another process holds it (naming its pid).
  """
  from tfx_compression.errors import WorkdirInUseError  # pylint: disable=g-import-not-at-top
  os.makedirs(workdir, exist_ok=True)
  path = os.path.join(workdir, LOCK_FILE)
  with open(path, "a+") as f:
    try:
      fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as e:
      f.seek(0)
      holder = f.read().strip() or "another process"
      raise WorkdirInUseError(
          f"--workdir {workdir} is in use by another tfx-compression run "
          f"({holder}); wait for it to finish, or use another --workdir") from e
    f.seek(0)
    f.truncate()
    f.write(f"pid {os.getpid()}, started "
            f"{datetime.datetime.now().isoformat(timespec='seconds')}")
    f.flush()
    try:
      yield
    finally:
      fcntl.flock(f, fcntl.LOCK_UN)
