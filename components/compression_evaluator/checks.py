"""Budget checks: measured figures against configured limits (pure functions)."""

import dataclasses
from typing import Any, Dict, List, Optional

from tfx_compression.compression_evaluator.config import Budgets
from tfx_compression.lib.report import units

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


def _at_most(name, value, limit, what, fmt=lambda v: f"{v:g}") -> Check:
  passed = value is not None and value <= limit
  reason = (f"{what} {fmt(value)} <= {fmt(limit)}" if passed else
            f"{what} {fmt(value)} exceeds the budget {fmt(limit)}"
            if value is not None else f"{what} was not measured")
  return Check(name, passed, value, limit, reason)


def _at_least(name, value, limit, what) -> Check:
  passed = value is not None and value >= limit
  reason = (f"{what} {value:.3f} >= {limit:g}" if passed else
            f"{what} {value:.3f} is below the minimum {limit:g}"
            if value is not None else f"{what} was not measured")
  return Check(name, passed, value, limit, reason)


def suffix(against: str) -> str:
  """Check-name suffix of a comparison: none for the pipeline's baseline."""
  from tfx_compression.lib.evaluation import tfma_eval  # pylint: disable=g-import-not-at-top
  return "" if against == tfma_eval.BASELINE else f"@{against}"


def budget_checks(budgets: Budgets, tolerance: float,
                  candidate: Dict[str, Any],
                  baselines: Dict[str, Dict[str, Any]],
                  latency: Dict[str, Dict[str, Any]]) -> List[Check]:
  """Checks the candidate's figures against every budget that is set.

  Args:
    budgets: The configured limits.
    tolerance: Relative slack of the latency budgets.
    candidate: Figures with `size_bytes`, `latency_median_us` and
      `peak_memory_bytes` (the last may be None).
    baselines: Role -> the same figures for each baseline.
    latency: Role -> the batch-1 latency comparison with that baseline
      (`ratio`, `ratio_ci_low`, `ratio_ci_high`).

  Returns:
    One Check per budget that is not None (per baseline for the ratios).
  """
  checks = []
  size = candidate["size_bytes"]
  if budgets.max_size_bytes is not None:
    checks.append(_at_most(SIZE_BYTES, size, budgets.max_size_bytes,
                           "size", units.size))
  if budgets.max_latency_ms is not None:
    check = _at_most(LATENCY_MS, candidate["latency_median_us"] / 1000.0,
                     budgets.max_latency_ms * (1 + tolerance),
                     "median latency at batch 1 in ms (with "
                     f"{tolerance:.0%} tolerance)")
    checks.append(dataclasses.replace(check,
                                      threshold=budgets.max_latency_ms))
  for role, base in baselines.items():
    if budgets.min_size_ratio is not None:
      checks.append(_at_least(SIZE_RATIO + suffix(role),
                              base["size_bytes"] / size,
                              budgets.min_size_ratio,
                              f"{role}/candidate size ratio"))
    if budgets.min_latency_ratio is not None:
      checks.append(_latency_ratio(role, latency[role],
                                   budgets.min_latency_ratio, tolerance))
  if budgets.max_peak_memory_bytes is not None:
    checks.append(_at_most(PEAK_MEMORY, candidate.get("peak_memory_bytes"),
                           budgets.max_peak_memory_bytes,
                           "peak interpreter memory", units.size))
  return checks


def _latency_ratio(role: str, comparison: Dict[str, Any], minimum: float,
                   tolerance: float) -> Check:
  """Fails only when the candidate is slower beyond doubt and tolerance."""
  ratio, high = comparison["ratio"], comparison["ratio_ci_high"]
  limit = minimum * (1 - tolerance)
  passed = high >= limit
  reason = (f"{role}/candidate latency ratio at batch 1 {ratio:.3f} (95 % "
            f"interval {comparison['ratio_ci_low']:.3f}-{high:.3f} over "
            f"{comparison['rounds']} alternating rounds) "
            + (f"reaches the minimum {minimum:g} within {tolerance:.0%}"
               if passed else f"is below the minimum {minimum:g} even with "
               f"{tolerance:.0%} tolerance"))
  return Check(LATENCY_RATIO + suffix(role), passed, ratio, minimum, reason)


def not_gated(budgets: Budgets) -> List[str]:
  """What no budget gates, said in the report and the blessing message."""
  missing = []
  if budgets.max_size_bytes is None and budgets.min_size_ratio is None:
    missing.append("size")
  if budgets.max_latency_ms is None and budgets.min_latency_ratio is None:
    missing.append("latency")
  if budgets.max_peak_memory_bytes is None:
    missing.append("memory")
  return missing


def metric_check(result) -> Check:
  """A Check from a `tfma_eval.SliceResult`.

  Named `<metric>[<slice>]` (against the pipeline's baseline),
  `<metric>[<slice>]@<baseline role>` or `<metric>[<slice>]:value`.
  """
  if result.kind == "value":
    name = f"{result.metric}[{result.slice_name}]:value"
    if result.candidate is None:
      return Check(name, False, None, result.threshold,
                   f"{result.metric} was not computed on slice "
                   f"{result.slice_name}")
    return Check(name, result.passed, result.candidate, result.threshold,
                 f"{result.metric} on {result.slice_name}: candidate "
                 f"{result.candidate:.4f} "
                 f"{'within' if result.passed else 'outside'} its bounds")
  name = f"{result.metric}[{result.slice_name}]{suffix(result.against)}"
  if result.diff is None:
    return Check(name, False, None, result.threshold,
                 f"{result.metric} was not computed on slice "
                 f"{result.slice_name} for the candidate and the "
                 f"{result.against}")
  verb = "within" if result.passed else "beyond"
  limit = ("" if result.threshold is None else
           f"the allowed change {result.threshold:+g}")
  return Check(
      name, result.passed, result.diff, result.threshold,
      f"{result.metric} on {result.slice_name}: candidate "
      f"{result.candidate:.4f} vs {result.against} {result.baseline:.4f} "
      f"(change {result.diff:+.4f}, {verb} {limit or 'its threshold'}; "
      f"{result.num_examples or 0:.0f} examples)")
