"""What a split's tf.Examples really hold, checked before anything uses them.

One pass over the split (up to SCAN_LIMIT records) counts, per feature, the
records that carry it and the number of values they carry, and collects the
label's values. The checks then refuse, naming the feature, the split, a
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
from typing import Dict, Mapping, Optional, Sequence

from tfx_compression.errors import DataError
from tfx_compression.errors import InputMismatchError

SCAN_LIMIT = 100_000  # records read per split
MAX_MISSING_FRACTION = 0.01  # of the records, for a feature the model reads
_KINDS = {"int64_list": "int64", "float_list": "float32", "bytes_list": "string"}


@dataclasses.dataclass
class FeatureStats:
  present: int = 0  # records carrying at least one value
  kinds: Dict[str, int] = dataclasses.field(default_factory=dict)
  # number of values -> (records with that many, first such record index)
  lengths: Dict[int, list] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class SplitStats:
  """Per-feature facts of one split."""

  source: str
  records: int
  features: Dict[str, FeatureStats]
  truncated: bool  # more records than SCAN_LIMIT: only the first were read
  labels: Dict[object, int]  # label value -> records (when a label was given)
  first_label_index: Dict[object, int]

  @property
  def keys(self):
    return set(self.features)


def scan(files: Sequence[str], source: str, label: Optional[str] = None,
         limit: int = SCAN_LIMIT) -> SplitStats:
  """Reads up to `limit` records of `files`.

  Raises:
    DataError: a file is corrupt or truncated, or a record is no tf.Example
      (naming the file and the record index).
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from google.protobuf import message  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.data import examples_io  # pylint: disable=g-import-not-at-top
  stats = SplitStats(source, 0, {}, False, {}, {})
  for path in files:
    ds = tf.data.TFRecordDataset([path], compression_type=
                                 examples_io.compression_of([path]))
    iterator, first = iter(ds), stats.records
    while True:
      if stats.records >= limit:
        stats.truncated = True
        return stats
      try:
        record = next(iterator)
      except StopIteration:
        break
      except (tf.errors.DataLossError, tf.errors.InvalidArgumentError) as e:
        raise examples_io.corrupt_file(path, stats.records - first,
                                       e) from e
      try:
        example = tf.train.Example.FromString(record.numpy())
      except message.DecodeError as e:
        raise DataError(
            f"{source}: record {stats.records} of {path} is not a "
            f"tf.Example ({e})") from e
      _count(stats, example, label)
      stats.records += 1
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
      value = values[0]
      stats.labels[value] = stats.labels.get(value, 0) + 1
      stats.first_label_index.setdefault(value, stats.records)


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
  import math  # pylint: disable=g-import-not-at-top
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
  import math  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.evaluation import task as task_lib  # pylint: disable=g-import-not-at-top
  entry = stats.features.get(label)
  unlabelled = stats.records - (entry.lengths.get(1, [0])[0] if entry else 0)
  if unlabelled:
    raise DataError(
        f"{unlabelled} of {stats.records} records of {stats.source} have no "
        f"single value for the label {label!r}")
  if model_task is None:
    return
  if model_task.task is task_lib.Task.REGRESSION:
    bad = sorted((v for v in stats.labels
                  if not isinstance(v, (int, float)) or
                  not math.isfinite(float(v))), key=str)
    allowed = "finite numbers (a regression target)"
  else:
    classes = 2 if model_task.task is task_lib.Task.BINARY else model_task.width
    bad = sorted((v for v in stats.labels
                  if not isinstance(v, (int, float)) or
                  float(v) not in range(classes)), key=str)
    allowed = f"class indices 0..{classes - 1}"
  if bad:
    value = bad[0]
    raise DataError(
        f"label {label!r} is {value!r} in record "
        f"{stats.first_label_index[value]} of {stats.source} "
        f"({stats.labels[value]} records like it); {what} is a "
        f"{model_task.task.value} model ({model_task.reason}): allowed labels "
        f"are {allowed}. If the task is wrong, set {task_field}.")
