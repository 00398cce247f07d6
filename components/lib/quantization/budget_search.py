"""Mixed-precision search to an accuracy budget, backend-agnostic.

A configuration assigns a precision to some units (a layer's tensors, or the
Transform graph as one unit); every other unit is int8. Each configuration
is converted and judged on the held-out validation sample with the task's
metric (`search_judge`). The search, bounded by `max_conversions`:

1. full int8; if it meets the budget, it is the answer;
2. whole-model alternatives the backend offers (e.g. int16x8);
3. for each promotion level (e.g. int16x8, then float32), the `k` most
   sensitive units promoted: first the most the limits allow, then a
   bisection on `k` for the fewest that still meet the budget.

Among the configurations that meet the budget the one with the smallest
objective (size or latency) wins; when none does, the one with the best
metric, marked as missing it. Full int8 is always judged, so the result is
never worse than plain int8. Units, levels and bisection are deterministic;
only the latency objective depends on timing.
"""

import dataclasses
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from tfx_compression.lib.options.quantization import Precision
from tfx_compression.lib.options.quantization import SearchObjective


@dataclasses.dataclass(frozen=True)
class Unit:
  """What one search decision promotes: tensors (or op scopes) together."""

  name: str
  members: Tuple[str, ...]
  sensitivity: float  # larger: int8 hurts more; orders the promotions
  op_name: str = ""


@dataclasses.dataclass(frozen=True)
class Step:
  """One configuration converted and judged."""

  index: int
  name: str
  assignment: Dict[str, str]  # unit name -> precision, int8 units left out
  size_bytes: int
  latency_us: Optional[float]
  metric: Optional[float]  # None: the configuration could not be made
  drop: Optional[float]  # reference metric - metric (the budget's unit)
  meets_budget: bool
  float_units: int
  error: str = ""  # why the configuration could not be made or run


@dataclasses.dataclass
class SearchResult:
  """The chosen configuration, its model and the trace of every step."""

  backend: str
  metric_name: str
  reference_metric: float
  budget: float
  objective: str
  max_conversions: int
  steps: List[Step]
  chosen: Step
  budget_met: bool
  reason: str
  model_bytes: bytes = dataclasses.field(repr=False, default=b"")

  def to_json(self) -> dict:
    report = dataclasses.asdict(self)
    report.pop("model_bytes")
    return report


class _Budgeted:
  """Converts and judges configurations until `limit` conversions."""

  def __init__(self, build, judge, latency, budget, limit):
    self._build, self._judge, self._latency = build, judge, latency
    self.budget, self.limit = budget, limit
    self.steps: List[Step] = []
    self.models: Dict[int, bytes] = {}

  @property
  def left(self) -> int:
    return self.limit - len(self.steps)

  def run(self, name: str, assignment: Mapping[str, str],
          make: Optional[Callable[[], bytes]] = None) -> Optional[Step]:
    """Converts and judges one configuration; a configuration the backend
    cannot make or run becomes a step with its `error` (the first one,
    full int8, raises: nothing could stand in for it)."""
    if self.left <= 0:
      return None
    floats = sum(p == Precision.FLOAT32.value for p in assignment.values())
    try:
      model = make() if make is not None else self._build(dict(assignment))
      metric = self._judge.metric(model)
    except (ValueError, RuntimeError) as e:  # ConversionError: RuntimeError
      if not self.steps:
        raise
      message = str(e).strip().splitlines()[0] if str(e).strip() else ""
      step = Step(index=len(self.steps), name=name,
                  assignment=dict(assignment), size_bytes=0, latency_us=None,
                  metric=None, drop=None, meets_budget=False,
                  float_units=floats,
                  error=f"{type(e).__name__}: {message}"[:500])
      self.steps.append(step)
      return step
    drop = self._judge.reference - metric
    step = Step(
        index=len(self.steps), name=name, assignment=dict(assignment),
        size_bytes=len(model),
        latency_us=self._latency(model) if self._latency else None,
        metric=metric, drop=drop, meets_budget=drop <= self.budget + 1e-12,
        float_units=floats)
    self.steps.append(step)
    self.models[step.index] = model
    return step


def _top(units: Sequence[Unit], k: int, level: Precision) -> Dict[str, str]:
  return {u.name: level.value for u in units[:k]}


def search(units: Sequence[Unit],
           build: Callable[[Dict[str, str]], bytes],
           judge,
           budget: float,
           levels: Sequence[Precision] = (Precision.FLOAT32,),
           whole_model: Sequence[Tuple[str, Callable[[], bytes]]] = (),
           objective: SearchObjective = SearchObjective.SIZE,
           max_conversions: int = 20,
           max_float_units: Optional[int] = None,
           latency: Optional[Callable[[bytes], float]] = None,
           backend: str = "") -> SearchResult:
  """Finds the configuration that meets `budget` at the smallest objective.

  Args:
    units: The promotable units, any order (sorted here, most sensitive
      first, ties by name).
    build: Unit name -> precision (others int8) -> .tflite bytes.
    judge: A `search_judge.Judge` (metric of a model, reference metric).
    budget: The largest accepted `judge.reference - metric`.
    levels: Promotions per unit, cheapest first.
    whole_model: (name, make bytes) of whole-model alternatives.
    objective: What is minimised among configurations meeting the budget.
    max_conversions: Most configurations converted and judged.
    max_float_units: Most units kept float32 (None: any number).
    latency: Model bytes -> median latency in microseconds; required for
      the latency objective, recorded in the trace when given.
    backend: Recorded on the result.
  """
  objective = SearchObjective(objective)
  if objective is SearchObjective.LATENCY and latency is None:
    raise ValueError("the latency objective needs a latency function")
  units = sorted(units, key=lambda u: (-u.sensitivity, u.name))
  runs = _Budgeted(build, judge, latency, budget, max_conversions)
  base = runs.run("int8", {})
  if not base.meets_budget:
    for name, make in whole_model:
      runs.run(name, {}, make)
    for level in levels:
      _bisect(runs, units, Precision(level), max_float_units)
  return _choose(runs, objective, backend, judge, budget, max_conversions)


def _bisect(runs: _Budgeted, units: Sequence[Unit], level: Precision,
            max_float_units: Optional[int]) -> None:
  """Promotes the top k units to `level`: k at its limit, then bisection."""
  high = len(units)
  if level is Precision.FLOAT32 and max_float_units is not None:
    high = min(high, max_float_units)
  if high == 0:
    return
  top = runs.run(f"{level.value} x{high}", _top(units, high, level))
  if top is None or not top.meets_budget:
    return
  low = 0  # known to miss: plain int8
  while high - low > 1 and runs.left > 0:
    mid = (low + high) // 2
    step = runs.run(f"{level.value} x{mid}", _top(units, mid, level))
    if step.meets_budget:
      high = mid
    else:
      low = mid


def _choose(runs: _Budgeted, objective: SearchObjective, backend: str, judge,
            budget: float, max_conversions: int) -> SearchResult:
  meeting = [s for s in runs.steps if s.meets_budget]
  if meeting:
    key = ((lambda s: (s.size_bytes, -s.metric, s.index))
           if objective is SearchObjective.SIZE else
           (lambda s: (s.latency_us, s.size_bytes, -s.metric, s.index)))
    chosen = min(meeting, key=key)
    reason = (f"{len(meeting)} of {len(runs.steps)} configurations met the "
              f"budget; the {objective.value} is smallest for "
              f"{chosen.name!r}")
  else:
    chosen = max((s for s in runs.steps if s.metric is not None),
                 key=lambda s: (s.metric, -s.size_bytes, -s.index))
    reason = (f"none of {len(runs.steps)} configurations met the budget "
              f"(drop <= {budget:g} in {judge.name}); the closest is "
              f"{chosen.name!r} with a drop of {chosen.drop:.4g}")
  return SearchResult(
      backend=backend, metric_name=judge.name,
      reference_metric=judge.reference, budget=budget,
      objective=objective.value, max_conversions=max_conversions,
      steps=list(runs.steps), chosen=chosen, budget_met=bool(meeting),
      reason=reason, model_bytes=runs.models[chosen.index])


def trace_csv(result: SearchResult) -> str:
  """The search trace, one row per configuration."""
  import csv  # pylint: disable=g-import-not-at-top
  import io  # pylint: disable=g-import-not-at-top
  import json  # pylint: disable=g-import-not-at-top
  out = io.StringIO()
  fields = ["index", "name", "size_bytes", "latency_us", "metric", "drop",
            "meets_budget", "float_units", "chosen", "assignment", "error"]
  writer = csv.DictWriter(out, fields, lineterminator="\n")
  writer.writeheader()
  for step in result.steps:
    row = dataclasses.asdict(step)
    row["assignment"] = json.dumps(step.assignment, sort_keys=True)
    row["chosen"] = step.index == result.chosen.index
    writer.writerow(row)
  return out.getvalue()
