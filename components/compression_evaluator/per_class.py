"""Per-class view of the predictions the evaluator already made.

Reads back the records `predictions.write` wrote (each with its label and
every side's prediction) and counts, per class: the examples, each side's
accuracy, each side's confusion matrix (label x predicted class), and how
often the candidate's predicted class differs from each baseline's. A
prediction's class is its argmax, or `value > 0.5` for a single output.
"""

from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from tfx_compression.compression_evaluator import predictions

# Past this many classes the matrices are left out (unreadable as a plot).
MAX_CLASSES = 50


def _label_of(feature) -> Optional[float]:
  kind = feature.WhichOneof("kind")
  values = getattr(feature, kind).value if kind else []
  if len(values) != 1 or kind == "bytes_list":
    return None
  return float(values[0])


def _predicted_class(values: Sequence[float]) -> int:
  if len(values) == 1:
    return int(values[0] > 0.5)
  return int(np.argmax(values))


def _read(files: Sequence[str], label: str, roles: Sequence[str]):
  """(labels, {role: predicted classes}) over the records with one label."""
  # pylint: disable=g-import-not-at-top
  import tensorflow as tf
  from tfx_compression.lib.data import examples_io
  labels: List[float] = []
  predicted: Dict[str, List[int]] = {role: [] for role in roles}
  skipped = 0
  dataset = tf.data.TFRecordDataset(
      list(files), compression_type=examples_io.compression_of(files))
  for record in dataset.as_numpy_iterator():
    features = tf.train.Example.FromString(record).features.feature
    value = _label_of(features[label]) if label in features else None
    if value is None or value != int(value):
      skipped += 1
      continue
    labels.append(value)
    for role in roles:
      predicted[role].append(_predicted_class(
          features[predictions.feature_name(role)].float_list.value))
  return (np.asarray(labels, np.int64),
          {r: np.asarray(p, np.int64) for r, p in predicted.items()}, skipped)


def compute(files: Sequence[str], label: str,
            roles: Sequence[str]) -> Dict[str, Any]:
  """The per-class view of the prediction records `files`.

  Args:
    files: Records written by `predictions.write`.
    label: The label feature (one integer class per record).
    roles: The sides, candidate first, then the baselines.

  Returns:
    {'label_key', 'classes', 'examples', 'skipped_records', 'accuracy':
    {role: per class}, 'confusion': {role: rows = label, columns =
    predicted}, 'disagreement': {baseline role: per class, fraction of that
    class's examples where the candidate's class differs}, 'changed':
    {baseline role: the same over all examples}}; or {'skipped': reason}
    when no record has an integer label or there are too many classes.
  """
  labels, predicted, skipped = _read(files, label, roles)
  if not len(labels):
    return {"skipped": f"no record has a single integer label {label!r} "
                       f"({skipped} records read)"}
  classes = sorted(set(labels.tolist()).union(
      *(p.tolist() for p in predicted.values())))
  if len(classes) > MAX_CLASSES:
    return {"skipped": f"{len(classes)} classes (more than {MAX_CLASSES})"}
  index = {c: i for i, c in enumerate(classes)}
  rows = np.array([index[c] for c in labels.tolist()])
  counts = np.bincount(rows, minlength=len(classes))
  view = {"label_key": label, "classes": classes, "examples": len(labels),
          "examples_per_class": counts.tolist(), "skipped_records": skipped,
          "accuracy": {}, "confusion": {}, "disagreement": {}, "changed": {}}
  candidate = predicted[roles[0]]
  for role in roles:
    cols = np.array([index[c] for c in predicted[role].tolist()])
    matrix = np.zeros((len(classes), len(classes)), np.int64)
    np.add.at(matrix, (rows, cols), 1)
    view["confusion"][role] = matrix.tolist()
    view["accuracy"][role] = _per_class(rows, predicted[role] == labels,
                                        counts)
    if role != roles[0]:
      differs = candidate != predicted[role]
      view["disagreement"][role] = _per_class(rows, differs, counts)
      view["changed"][role] = float(differs.mean())
  return view


def _per_class(rows, hits, counts) -> List[Optional[float]]:
  totals = np.bincount(rows, weights=hits.astype(float), minlength=len(counts))
  return [float(t / n) if n else None for t, n in zip(totals, counts)]
