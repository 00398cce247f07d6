"""The split scan of `example_stats` as a Beam job: one pass, in parallel.

Each file is scanned by a worker (`example_stats.scan_file`, indices from
the file's first record); the partial stats are gathered and merged in file
order, so record indices in messages count from the split's first record as
in the in-process scan. A file that cannot be read travels as its partial's
`error` and is raised, as a `DataError`, after the job. Memory per worker is
one file's feature and label tallies (labels capped at
`example_stats.MAX_LABEL_VALUES` distinct values), not the split.
"""

import os
import pickle
from typing import List, Optional, Sequence

import apache_beam as beam

from tfx_compression.lib.data import example_stats

SCANNED_BY = "a Beam job"


class _ScanFile(beam.DoFn):
  """(file index, its partial SplitStats) for each (index, path)."""

  def __init__(self, source: str, label: Optional[str]):
    super().__init__()
    self._source, self._label = source, label

  def process(self, element):
    index, path = element
    part = example_stats.scan_file(path, self._source, self._label,
                                   raise_errors=False)
    part.scanned_by = SCANNED_BY
    yield index, part


def _write(parts, path: str) -> None:
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  with tf.io.gfile.GFile(path, "wb") as f:
    f.write(pickle.dumps(parts))


def scan_files(files: Sequence[str], source: str, label: Optional[str] = None,
               beam_pipeline_args: Optional[List[str]] = None,
               work_dir: Optional[str] = None
               ) -> List[example_stats.SplitStats]:
  """Every file's partial stats, in file order, computed by a Beam job.

  Args:
    work_dir: Where the gathered stats are written for this process to read
      (shared storage, e.g. gs://, for a remote runner); None: a local
      temporary directory.
  """
  # pylint: disable=g-import-not-at-top
  import tempfile
  import tensorflow as tf
  from apache_beam.options.pipeline_options import PipelineOptions
  # pylint: enable=g-import-not-at-top
  local = None if work_dir else tempfile.TemporaryDirectory(
      prefix="tfx_compression_stats_")
  path = os.path.join(work_dir or local.name, f"split_stats_{os.getpid()}.pkl")
  try:
    with beam.Pipeline(options=PipelineOptions(beam_pipeline_args or [])) as p:
      _ = (p
           | "Files" >> beam.Create(list(enumerate(files)))
           | "Reshuffle" >> beam.Reshuffle()  # one worker per file
           | "Scan" >> beam.ParDo(_ScanFile(source, label))
           | "Gather" >> beam.combiners.ToList()
           | "Write" >> beam.Map(_write, path))
    with tf.io.gfile.GFile(path, "rb") as f:
      parts = pickle.loads(f.read())
    tf.io.gfile.remove(path)
  finally:
    if local is not None:
      local.cleanup()
  return [part for _, part in sorted(parts, key=lambda item: item[0])]
