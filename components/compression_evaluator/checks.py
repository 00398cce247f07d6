"""Budget checks: measured figures against configured limits (pure functions)."""

import dataclasses
from typing import Any, Dict, List, Optional

from tfx_compression.compression_evaluator.config import Budgets

# Check names (the `name` of each entry of report.json `checks`).
SIZE_BYTES = "size_bytes"
SIZE_RATIO = "size_ratio"
LATENCY_MS = "latency_median_ms"
LATENCY_RATIO = "latency_ratio"
PEAK_MEMORY = "peak_memory_bytes"
EVALUATION = "evaluation"  # The evaluation itself ran to completion.


@dataclasses.dataclass(frozen=True)
class Check:
  """One pass/fail decision with its figures (None when not applicable)."""

  name: str
  passed: bool
  value: Optional[float]
  threshold: Optional[float]
  reason: str

  def to_dict(self) -> Dict[str, Any]:
    return dataclasses.asdict(self)


def _at_most(name, value, limit, what) -> Check:
  passed = value is not None and value <= limit
  reason = (f"{what} {value:g} <= {limit:g}" if passed else
            f"{what} {value:g} exceeds the budget {limit:g}"
            if value is not None else f"{what} was not measured")
  return Check(name, passed, value, limit, reason)


def _at_least(name, value, limit, what) -> Check:
  passed = value is not None and value >= limit
  reason = (f"{what} {value:.3f} >= {limit:g}" if passed else
            f"{what} {value:.3f} is below the minimum {limit:g}"
            if value is not None else f"{what} was not measured")
  return Check(name, passed, value, limit, reason)


def budget_checks(budgets: Budgets, candidate: Dict[str, Any],
                  baseline: Dict[str, Any]) -> List[Check]:
  """Checks the candidate's figures against every budget that is set.

  Args:
    budgets: The configured limits.
    candidate: Figures with `size_bytes`, `latency_median_us` and
      `peak_memory_bytes` (the last may be None).
    baseline: The same figures for the baseline.

  Returns:
    One Check per budget that is not None.
  """
  checks = []
  size, base_size = candidate["size_bytes"], baseline["size_bytes"]
  latency, base_latency = (candidate["latency_median_us"],
                           baseline["latency_median_us"])
  if budgets.max_size_bytes is not None:
    checks.append(_at_most(SIZE_BYTES, size, budgets.max_size_bytes,
                           "size in bytes"))
  if budgets.min_size_ratio is not None:
    checks.append(_at_least(SIZE_RATIO, base_size / size,
                            budgets.min_size_ratio,
                            "baseline/candidate size ratio"))
  if budgets.max_latency_ms is not None:
    checks.append(_at_most(LATENCY_MS, latency / 1000.0,
                           budgets.max_latency_ms,
                           "median latency at batch 1 in ms"))
  if budgets.min_latency_ratio is not None:
    checks.append(_at_least(LATENCY_RATIO, base_latency / latency,
                            budgets.min_latency_ratio,
                            "baseline/candidate median latency ratio"))
  if budgets.max_peak_memory_bytes is not None:
    checks.append(_at_most(PEAK_MEMORY, candidate.get("peak_memory_bytes"),
                           budgets.max_peak_memory_bytes,
                           "peak interpreter memory in bytes"))
  return checks


def metric_check(result) -> Check:
  """A Check from a `tfma_eval.SliceResult` (named `<metric>[<slice>]`)."""
  name = f"{result.metric}[{result.slice_name}]"
  if result.diff is None:
    return Check(name, False, None, result.threshold,
                 f"{result.metric} was not computed on slice "
                 f"{result.slice_name}")
  verb = "within" if result.passed else "beyond"
  return Check(
      name, result.passed, result.diff, result.threshold,
      f"{result.metric} on {result.slice_name}: candidate "
      f"{result.candidate:.4f} vs baseline {result.baseline:.4f} (change "
      f"{result.diff:+.4f}, {verb} the allowed change {result.threshold:+g}; "
      f"{result.num_examples or 0:.0f} examples)")
