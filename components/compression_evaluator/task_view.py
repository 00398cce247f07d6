"""The report's view of binary and regression predictions (classes have
`per_class`).

Reads back the records `predictions.write` wrote (each with its label and
every side's prediction, a binary model's as P(label = 1)) and computes:
- binary: each side's ROC curve (false and true positive rates at 101
  thresholds) with its AUC, and its calibration (10 bins of predicted
  probability: mean prediction, observed positive rate, examples);
- regression: each side's residuals (prediction - label) as quantiles, mean
  and mean absolute value, and up to MAX_POINTS (label, prediction) pairs for
  a predicted-vs-actual plot.
"""

from typing import Any, Dict, Optional, Sequence

import numpy as np

from tfx_compression.compression_evaluator import predictions

MAX_POINTS = 300
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def _roc(labels: np.ndarray, scores: np.ndarray) -> Dict[str, Any]:
  thresholds = np.linspace(0.0, 1.0, 101)
  positives = max(1, int(np.sum(labels == 1)))
  negatives = max(1, int(np.sum(labels == 0)))
  tpr = [float(np.sum((scores >= t) & (labels == 1)) / positives)
         for t in thresholds]
  fpr = [float(np.sum((scores >= t) & (labels == 0)) / negatives)
         for t in thresholds]
  # Rank AUC (ties count half): the probability that a positive outranks
  # a negative.
  order = np.argsort(scores, kind="mergesort")
  ranks = np.empty(len(scores))
  ranks[order] = np.arange(1, len(scores) + 1)
  for value in np.unique(scores):
    tied = scores == value
    ranks[tied] = ranks[tied].mean()
  n_pos = int(np.sum(labels == 1))
  auc = ((ranks[labels == 1].sum() - n_pos * (n_pos + 1) / 2) /
         (n_pos * (len(labels) - n_pos))) if 0 < n_pos < len(labels) else None
  return {"fpr": fpr, "tpr": tpr, "auc": None if auc is None else float(auc)}


def _calibration(labels: np.ndarray, scores: np.ndarray) -> Dict[str, list]:
  bins = np.minimum((scores * 10).astype(int), 9)
  rows = {"predicted": [], "observed": [], "examples": []}
  for b in range(10):
    inside = bins == b
    if not inside.any():
      continue
    rows["predicted"].append(float(scores[inside].mean()))
    rows["observed"].append(float(labels[inside].mean()))
    rows["examples"].append(int(inside.sum()))
  return rows


def _residuals(labels: np.ndarray, values: np.ndarray) -> Dict[str, Any]:
  residual = values - labels
  return {"quantiles": dict(zip([f"p{int(q * 100)}" for q in QUANTILES],
                                np.quantile(residual, QUANTILES).tolist())),
          "mean": float(residual.mean()),
          "mean_absolute": float(np.abs(residual).mean())}


def compute(files: Sequence[str], label: str, roles: Sequence[str],
            model_task) -> Optional[Dict[str, Any]]:
  """The view for a binary or regression `model_task`; None for others."""
  from tfx_compression.lib.evaluation.task import Task  # pylint: disable=g-import-not-at-top
  if model_task.task is Task.MULTICLASS:
    return None
  labels, vectors = predictions.read_back(files, label, roles)
  values = {r: v[:, 0] for r, v in vectors.items()}
  view: Dict[str, Any] = {"task": model_task.task.value, "label_key": label,
                          "examples": int(len(labels))}
  if not len(labels):
    return dict(view, skipped="no record has a single numeric label")
  if model_task.task is Task.BINARY:
    view["roc"] = {r: _roc(labels, v) for r, v in values.items()}
    view["calibration"] = {r: _calibration(labels, v)
                           for r, v in values.items()}
    return view
  keep = np.linspace(0, len(labels) - 1, min(MAX_POINTS, len(labels)))
  keep = keep.astype(int)
  view["residuals"] = {r: _residuals(labels, v) for r, v in values.items()}
  view["points"] = {"label": labels[keep].tolist(),
                    **{r: v[keep].tolist() for r, v in values.items()}}
  return view
