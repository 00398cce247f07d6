"""How sure a verdict is: paired bootstrap intervals of metric changes.

Both models score the same eval examples, so a metric's change is estimated
on pairs: the examples are resampled with replacement (seeded), the change
recomputed on each resample, and the 2.5th and 97.5th percentiles give a
95 % interval. Covered: decision accuracy (multiclass argmax, binary score
>= 0.5), AUC, and mean squared / absolute error, on the whole split and on
each slice a change rule applies to (the examples of the slice resampled).

Each interval comes with what the split can resolve: one example's share
of an accuracy (1/n). When the allowed change is smaller than that, or the
interval is wider than the allowed change, the verdict is not statistically
meaningful at this size, and the report says so. `gate_on='interval'`
decides on the interval's pessimistic bound instead of the point estimate:
the candidate must be within the allowed change at 95 % confidence.
"""

import dataclasses
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from tfx_compression.compression_evaluator import predictions

CONFIDENCE = 0.95
RESAMPLES = 1000
SEED = 0
_CHUNK = 100  # resamples drawn at once (memory: _CHUNK x examples indices)

_DECISIONS = ("accuracy", "sparse_categorical_accuracy",
              "categorical_accuracy", "binary_accuracy")
_LOSSES = {"mean_squared_error": np.square, "mean_absolute_error": np.abs}
_AUC = "auc"


@dataclasses.dataclass(frozen=True)
class Interval:
  """The change of one metric (candidate - baseline) with its interval."""

  metric: str
  against: str
  diff: float
  low: float
  high: float
  examples: int
  allowed: Optional[float]  # the absolute change allowed (None: no rule)
  higher_is_better: bool
  resolution: Optional[float]  # one example's share (accuracies)
  warnings: List[str]
  slice_name: str = "Overall"  # TFMA's name of the slice

  @property
  def bound(self) -> float:
    """The pessimistic end: the most the candidate may have lost."""
    return self.low if self.higher_is_better else self.high

  @property
  def bound_within(self) -> Optional[bool]:
    if self.allowed is None:
      return None
    return (self.bound >= -self.allowed if self.higher_is_better else
            self.bound <= self.allowed)

  def to_dict(self) -> Dict[str, Any]:
    return dict(dataclasses.asdict(self), confidence=CONFIDENCE,
                resamples=RESAMPLES, seed=SEED, bound=self.bound,
                bound_within=self.bound_within,
                meaningful=not self.warnings)


def auc(labels: np.ndarray, scores: np.ndarray) -> Optional[float]:
  """Rank AUC (ties count half); None with one class only."""
  positives = int(np.sum(labels == 1))
  if not 0 < positives < len(labels):
    return None
  _, inverse, counts = np.unique(scores, return_inverse=True,
                                 return_counts=True)
  ends = np.cumsum(counts)
  ranks = (ends - (counts - 1) / 2.0)[inverse]  # average rank of ties
  return float((ranks[labels == 1].sum() - positives * (positives + 1) / 2) /
               (positives * (len(labels) - positives)))


def _per_example(metric: str, labels, values, task: str):
  """A per-example statistic whose mean is `metric`, or None."""
  if metric in _DECISIONS:
    if task == "multiclass":
      decided = np.argmax(values, axis=1)
    else:
      decided = (values[:, 0] >= 0.5).astype(np.float64)
    return (decided == labels).astype(np.float64)
  if metric in _LOSSES and task == "regression":
    return _LOSSES[metric](values[:, 0] - labels)
  return None


def paired_interval(metric: str, labels, candidate, baseline, task: str,
                    resamples: int = RESAMPLES, seed: int = SEED):
  """(low, high) of the change candidate - baseline, or None if not covered."""
  n = len(labels)
  if n == 0:
    return None
  rng = np.random.default_rng(seed)
  tail = (1 - CONFIDENCE) / 2 * 100
  if metric == _AUC and task == "binary":
    changes = []
    for _ in range(resamples):
      i = rng.integers(0, n, n)
      c, b = auc(labels[i], candidate[i, 0]), auc(labels[i], baseline[i, 0])
      if c is not None and b is not None:
        changes.append(c - b)
    if not changes:
      return None
    return tuple(float(v) for v in np.percentile(changes, [tail, 100 - tail]))
  c = _per_example(metric, labels, candidate, task)
  b = _per_example(metric, labels, baseline, task)
  if c is None or b is None:
    return None
  pair = c - b
  means = []
  for start in range(0, resamples, _CHUNK):
    size = min(_CHUNK, resamples - start)
    means.append(pair[rng.integers(0, n, (size, n))].mean(axis=1))
  return tuple(float(v) for v in np.percentile(np.concatenate(means),
                                               [tail, 100 - tail]))


def _rule(rules, result):
  """The change rule behind `result`: its metric and limit, applying to its
  slice (the whole split: a rule without slicing specs or with the empty
  one)."""
  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.evaluation import tfma_eval
  for rule in rules:
    if rule.kind != "change" or rule.metric != result.metric or (
        rule.absolute != result.threshold):
      continue
    if not result.slice_key:
      if not rule.slicing_specs or "{}" in rule.slicing_specs:
        return rule
    elif rule.slicing_specs and tfma_eval.slice_applies(
        rule.slicing_specs, result.slice_key):
      return rule
  return None


def _allowed(rule, baseline_value) -> Optional[float]:
  if rule.absolute is not None:
    return abs(rule.absolute)
  if rule.relative is not None and baseline_value is not None:
    return abs(rule.relative * baseline_value)
  return None


def _members(result, columns) -> Optional[np.ndarray]:
  """Which examples are in `result`'s slice (None: the whole split)."""
  if not result.slice_key:
    return None
  n = len(next(iter(columns.values())))
  inside = np.ones(n, bool)
  for feature, value in result.slice_key:
    inside &= np.array([value in values for values in columns[feature]], bool)
  return inside


def assess(files: Sequence[str], label: str, task: str, results,
           rules) -> List[Interval]:
  """An Interval per change result (whole split and slices) whose metric
  is covered."""
  roles = sorted({r.against for r in results if r.kind == "change"} |
                 {"candidate"})
  labels, values = predictions.read_back(files, label, roles)
  features = sorted({f for r in results for f, _ in r.slice_key})
  # A second pass over the predictions only when a slice needs its feature.
  columns = (predictions.slice_columns(files, label, features) if features
             else {})
  intervals = []
  for result in results:
    rule = _rule(rules, result) if (result.kind == "change" and
                                    result.diff is not None) else None
    if rule is None:
      continue
    inside = _members(result, columns)
    pick = (lambda a: a) if inside is None else (lambda a: a[inside])
    bounds = paired_interval(result.metric, pick(labels),
                             pick(values["candidate"]),
                             pick(values[result.against]), task)
    if bounds is None:
      continue
    n = len(pick(labels))
    allowed = _allowed(rule, result.baseline)
    resolution = 1.0 / n if result.metric in _DECISIONS else None
    warnings = []
    if resolution is not None and allowed is not None and allowed < resolution:
      warnings.append(
          f"the allowed change {allowed:g} is smaller than one example of "
          f"{n} ({resolution:.3f}): a single example decides the verdict")
    if allowed is not None and bounds[1] - bounds[0] > allowed:
      warnings.append(
          f"the {CONFIDENCE:.0%} interval [{bounds[0]:+.4f}, "
          f"{bounds[1]:+.4f}] is wider than the allowed change {allowed:g}: "
          f"{n} examples cannot tell a pass from a fail")
    intervals.append(Interval(
        result.metric, result.against, float(result.diff), bounds[0],
        bounds[1], n, allowed, rule.higher_is_better, resolution, warnings,
        result.slice_name))
  return intervals


def warnings_of(intervals: Sequence[Interval], overall: str) -> List[str]:
  """The run's warnings: each whole-split one, and one line per metric for
  the slices whose verdict is not meaningful."""
  lines = [f"{i.metric} vs {i.against}: {w}; the verdict is not "
           "statistically meaningful at this size" for i in intervals
           if i.slice_name == overall for w in i.warnings]
  weak = {}
  for i in intervals:
    if i.slice_name != overall and i.warnings:
      weak.setdefault((i.metric, i.against), []).append(i)
  for (metric, against), slices in weak.items():
    total = sum(1 for i in intervals if i.slice_name != overall and
                (i.metric, i.against) == (metric, against))
    small = min(slices, key=lambda i: i.examples)
    lines.append(
        f"{metric} vs {against}: on {len(slices)} of {total} slice(s) the "
        f"verdict is not statistically meaningful (e.g. {small.slice_name}, "
        f"{small.examples} examples: {small.warnings[0]})")
  return lines


def gate(checks, intervals: Sequence[Interval], check_name) -> list:
  """`checks` with each covered metric decided on its interval's bound."""
  by_name = {check_name(i): i for i in intervals}
  gated = []
  for check in checks:
    interval = by_name.get(check.name)
    if interval is None or interval.bound_within is None:
      gated.append(check)
      continue
    gated.append(dataclasses.replace(
        check, passed=interval.bound_within, reason=(
            f"{check.reason}; decided on the {CONFIDENCE:.0%} interval "
            f"[{interval.low:+.4f}, {interval.high:+.4f}]: its pessimistic "
            f"end {interval.bound:+.4f} is "
            f"{'within' if interval.bound_within else 'beyond'} the allowed "
            f"change {interval.allowed:g}")))
  return gated
