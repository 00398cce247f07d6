"""What a split's tf.Examples really hold, checked before anything uses them.

One pass over the whole split counts, per feature, the records that carry
it and the number of values they carry, and collects the label's values: in
this process for small splits, as a Beam job (`stats_job`, one worker per
file, partial stats merged) for large ones. The checks then refuse, naming the feature, the split, a
record index and what is allowed:
- a feature the model reads that is missing from more than
  MAX_MISSING_FRACTION of the records: a serving signature with a
  `default_value` would fill it silently, and both models would be scored
  on default inputs;
- a record whose feature has another number of values than the model reads;
- a label the model's task cannot take (a class index outside its classes,
  a non-finite regression target).
"""

import dataclasses
import math
from typing import Dict, List, Mapping, Optional, Sequence

from tfx_compression.errors import DataError
from tfx_compression.errors import InputMismatchError

MAX_MISSING_FRACTION = 0.01  # of the records, for a feature the model reads
# Splits larger than this (bytes on disk) are scanned by a Beam job
# (`stats_job`), one worker per file; smaller ones in this process.
IN_PROCESS_BYTES = 64 << 20
# Distinct label values counted; beyond them (real-valued labels) only the
# extremes and non-finite values are kept, so memory does not grow with the
# split.
MAX_LABEL_VALUES = 10_000
_KINDS = {"int64_list": "int64", "float_list": "float32", "bytes_list": "string"}


@dataclasses.dataclass
class FeatureStats:
  present: int = 0  # records carrying at least one value
  kinds: Dict[str, int] = dataclasses.field(default_factory=dict)
  # number of values -> (records with that many, first such record index)
  lengths: Dict[int, list] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class SplitStats:
  """Per-feature facts of one split (or of one file of it, before `merge`)."""

  source: str
  records: int
  features: Dict[str, FeatureStats]
  truncated: bool  # stopped at the configured `limit`
  labels: Dict[object, int]  # label value -> records (when a label was given)
  first_label_index: Dict[object, int]
  # More than MAX_LABEL_VALUES distinct labels: `labels` holds the first
  # ones, `odd_labels` the extremes and non-finite ones (value -> index).
  labels_complete: bool = True
  odd_labels: Dict[object, int] = dataclasses.field(default_factory=dict)
  error: str = ""  # a file that could not be read (Beam job: raised later)
  scanned_by: str = "this process"  # or "a Beam job"

  @property
  def keys(self):
    return set(self.features)


def scan(files: Sequence[str], source: str, label: Optional[str] = None,
         limit: Optional[int] = None,
         beam_pipeline_args: Optional[List[str]] = None,
         use_beam: Optional[bool] = None,
         work_dir: Optional[str] = None) -> SplitStats:
  """Reads the whole split (or its first `limit` records).

  Args:
    files: The split's TFRecord files.
    source: Names the split in messages.
    label: The label feature whose values are counted.
    limit: Read only the first `limit` records (an explicit sample).
    beam_pipeline_args: The runner of the Beam job.
    use_beam: Scan with a Beam job (None: when the files are larger than
      IN_PROCESS_BYTES and no `limit` is set).
    work_dir: See `stats_job.scan_files`.

  Raises:
    DataError: a file is corrupt or truncated, or a record is no tf.Example
      (naming the file and the record index).
  """
  if use_beam is None:
    use_beam = limit is None and _size(files) > IN_PROCESS_BYTES
  if use_beam:
    from tfx_compression.lib.data import stats_job  # pylint: disable=g-import-not-at-top
    parts = stats_job.scan_files(files, source, label, beam_pipeline_args,
                                 work_dir)
  else:
    parts, left = [], limit
    for path in files:
      parts.append(scan_file(path, source, label, left))
      if left is not None:
        left -= parts[-1].records
        if left <= 0:
          parts[-1].truncated = parts[-1].truncated or path != files[-1]
          break
  return merge(parts, source)


def _size(files: Sequence[str]) -> int:
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  return sum(tf.io.gfile.stat(f).length for f in files)


def scan_file(path: str, source: str, label: Optional[str] = None,
              limit: Optional[int] = None,
              raise_errors: bool = True) -> SplitStats:
  """One file's stats, record indices counted from its first record.

  With `raise_errors=False` a corrupt file or record sets `error` instead
  (a Beam worker hands it on; `merge` raises it).
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from google.protobuf import message  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.data import examples_io  # pylint: disable=g-import-not-at-top
  stats = SplitStats(source, 0, {}, False, {}, {})
  # The C++ record reader yields bytes: much faster than iterating a
  # tf.data dataset record by record in eager mode.
  iterator = tf.compat.v1.io.tf_record_iterator(path, tf.io.TFRecordOptions(
      compression_type=examples_io.compression_of([path])))
  try:
    while True:
      if limit is not None and stats.records >= limit:
        stats.truncated = True
        return stats
      try:
        record = next(iterator)
      except StopIteration:
        break
      except (tf.errors.DataLossError, tf.errors.InvalidArgumentError) as e:
        raise examples_io.corrupt_file(path, stats.records, e) from e
      try:
        example = tf.train.Example.FromString(record)
      except message.DecodeError as e:
        raise DataError(
            f"{source}: record {stats.records} of {path} is not a "
            f"tf.Example ({e})") from e
      _count(stats, example, label)
      stats.records += 1
  except DataError as e:
    if raise_errors:
      raise
    stats.error = str(e)
  return stats


def _count(stats: SplitStats, example, label: Optional[str]) -> None:
  for name, feature in example.features.feature.items():
    kind = feature.WhichOneof("kind")
    if kind is None:
      continue
    values = getattr(feature, kind).value
    entry = stats.features.setdefault(name, FeatureStats())
    if len(values):
      entry.present += 1
    entry.kinds[kind] = entry.kinds.get(kind, 0) + 1
    seen = entry.lengths.setdefault(len(values), [0, stats.records])
    seen[0] += 1
    if name == label and len(values) == 1:
      _count_label(stats, values[0], stats.records)


def _count_label(stats: SplitStats, value, index: int, count: int = 1) -> None:
  if value in stats.labels or len(stats.labels) < MAX_LABEL_VALUES:
    stats.labels[value] = stats.labels.get(value, 0) + count
    stats.first_label_index.setdefault(value, index)
    return
  stats.labels_complete = False
  if isinstance(value, float) and not math.isfinite(value):
    stats.odd_labels.setdefault(value, index)
    return
  numeric = [v for v in stats.odd_labels if isinstance(v, (int, float))]
  if isinstance(value, (int, float)) and (
      not numeric or value < min(numeric) or value > max(numeric)):
    stats.odd_labels.setdefault(value, index)


def merge(parts: Sequence[SplitStats], source: str) -> SplitStats:
  """The split's stats from its files' (in file order: record indices
  continue across files).

  Raises:
    DataError: the first file that could not be read.
  """
  total = SplitStats(source, 0, {}, False, {}, {})
  for part in parts:
    if part.error:
      raise DataError(part.error)
    offset = total.records
    for name, entry in part.features.items():
      into = total.features.setdefault(name, FeatureStats())
      into.present += entry.present
      for kind, n in entry.kinds.items():
        into.kinds[kind] = into.kinds.get(kind, 0) + n
      for length, (n, first) in entry.lengths.items():
        seen = into.lengths.setdefault(length, [0, offset + first])
        seen[0] += n
    for value, n in part.labels.items():
      _count_label(total, value, offset + part.first_label_index[value], n)
    for value, index in part.odd_labels.items():
      total.odd_labels.setdefault(value, offset + index)
    total.labels_complete &= part.labels_complete and not part.odd_labels
    total.truncated |= part.truncated
    total.records += part.records
    total.scanned_by = part.scanned_by
  return total


def check_features(stats: SplitStats, parse: Mapping[str, object],
                   what: str) -> None:
  """Refuses features `what` reads that are missing, misshaped or mistyped.

  Args:
    stats: The split's `scan`.
    parse: Feature name -> `saved_model_info.FeatureInfo` read from it.
    what: Who reads them, for messages (e.g. 'the candidate TFLite model').

  Raises:
    InputMismatchError: naming the feature, the split and a record index.
  """
  if not stats.records:
    return
  for name, info in parse.items():
    entry = stats.features.get(name)
    present = entry.present if entry else 0
    missing = stats.records - present
    optional = getattr(info, "optional", False)
    if missing > MAX_MISSING_FRACTION * stats.records and not optional:
      filled = (" serving_default would fill them with its default value"
                if getattr(info, "has_default", False) else "")
      raise InputMismatchError(
          f"feature {name!r}, which {what} reads, is missing from {missing} "
          f"of {stats.records} records of {stats.source};{filled} at most "
          f"{MAX_MISSING_FRACTION:.0%} may lack it.")
    if entry is None:
      continue
    size = math.prod(info.shape)
    wrong = {n: where for n, where in entry.lengths.items()
             if n not in (size, 0)}
    if optional and wrong:
      n, (count, index) = sorted(wrong.items())[0]
      raise InputMismatchError(
          f"feature {name!r} has {n} value(s) in record {index} of "
          f"{stats.source} ({count} records like it); {what} reads it as a "
          "feature that may be missing (tf.io.VarLenFeature) holding at most "
          "one value.")
    if wrong:
      n, (count, index) = sorted(wrong.items())[0]
      raise InputMismatchError(
          f"feature {name!r} has {n} value(s) in record {index} of "
          f"{stats.source} ({count} records like it); {what} reads "
          f"{info.dtype}{list(info.shape)} = {size} value(s).")
    expected_kind = {"float32": "float_list", "int64": "int64_list",
                     "string": "bytes_list"}.get(info.dtype)
    other = sorted(k for k in entry.kinds if k != expected_kind)
    if expected_kind and other:
      raise InputMismatchError(
          f"feature {name!r} holds {_KINDS[other[0]]} values in "
          f"{entry.kinds[other[0]]} records of {stats.source}; {what} reads "
          f"{info.dtype}.")


def check_labels(stats: SplitStats, label: str, model_task, what: str,
                 task_field: str = "task") -> None:
  """Refuses labels the model's task cannot take.

  Args:
    model_task: The model's `task.ModelTask`; None checks presence only.
      Classification: labels are class indices in [0, width) ({0, 1} for
      binary). Regression: labels are finite numbers.
    task_field: The config field that sets the task, for messages.

  Raises:
    DataError: a record without exactly one label value, or one the task
      cannot take, naming the split, the value and a record index.
  """
  from tfx_compression.lib.evaluation import task as task_lib  # pylint: disable=g-import-not-at-top
  entry = stats.features.get(label)
  unlabelled = stats.records - (entry.lengths.get(1, [0])[0] if entry else 0)
  if unlabelled:
    raise DataError(
        f"{unlabelled} of {stats.records} records of {stats.source} have no "
        f"single value for the label {label!r}")
  if model_task is None:
    return
  seen = list(stats.labels) + [v for v in stats.odd_labels
                               if v not in stats.labels]
  if model_task.task is task_lib.Task.REGRESSION:
    bad = sorted((v for v in seen if not isinstance(v, (int, float)) or
                  not math.isfinite(float(v))), key=str)
    allowed = "finite numbers (a regression target)"
  else:
    classes = 2 if model_task.task is task_lib.Task.BINARY else model_task.width
    bad = sorted((v for v in seen if not isinstance(v, (int, float)) or
                  float(v) not in range(classes)), key=str)
    allowed = f"class indices 0..{classes - 1}"
  if bad:
    value = bad[0]
    index = stats.first_label_index.get(value, stats.odd_labels.get(value))
    count = stats.labels.get(value)
    raise DataError(
        f"label {label!r} is {value!r} in record {index} of {stats.source} "
        f"({'some' if count is None else count} records like it); {what} is a "
        f"{model_task.task.value} model ({model_task.reason}): allowed labels "
        f"are {allowed}. If the task is wrong, set {task_field}.")
