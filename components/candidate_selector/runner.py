"""The CandidateSelector's work on plain objects: rank, choose, compare.

Knows nothing of TFX artifacts: the executor reads each candidate's model,
evaluation and blessing into a `Candidate`, and this module decides.

Tie-breaking (deterministic, documented in the README): candidates equal on
the objective are ordered by the other figure (`smallest`: lower latency
median; `fastest`: smaller gzip size; `weights`: smaller gzip size, then
lower latency median), then by their position in the selector's inputs (the
first one wins). A missing tie-break figure sorts last.
"""

import dataclasses
import math
from typing import Dict, List, Optional, Sequence, Tuple

from tfx_compression.framework import properties
from tfx_compression.candidate_selector.config import CandidateSelectorConfig
from tfx_compression.candidate_selector.config import Objective

TIE_BREAK = {
    Objective.SMALLEST: (properties.LATENCY_MEDIAN_US,),
    Objective.FASTEST: (properties.GZIP_SIZE_BYTES,),
    Objective.WEIGHTS: (properties.GZIP_SIZE_BYTES,
                        properties.LATENCY_MEDIAN_US),
}


@dataclasses.dataclass
class Candidate:
  """One candidate as the executor read it.

  Attributes:
    variant: Its name (e.g. 'ptq_int8').
    index: Its position in the selector's inputs.
    model_id, model_uri: The Model artifact ('' / 0 when missing).
    evaluation_uri: The ModelEvaluation artifact ('' when missing).
    blessed: Whether its blessing says BLESSED (property and marker file).
    verdict: The evaluation's verdict property ('' when missing).
    figures: The evaluation's numeric properties (metric_*, sizes, latency).
    problems: Why it cannot be selected although blessed (missing or
      incomplete evaluation, a blessing for another model, ...).
    score: Set by `select`: the objective's figure or weighted score.
  """

  variant: str
  index: int
  model_id: int = 0
  model_uri: str = ""
  evaluation_uri: str = ""
  blessed: bool = False
  verdict: str = ""
  figures: Dict[str, float] = dataclasses.field(default_factory=dict)
  problems: List[str] = dataclasses.field(default_factory=list)
  score: Optional[float] = None

  @property
  def eligible(self) -> bool:
    return self.blessed and not self.problems


@dataclasses.dataclass(frozen=True)
class Selection:
  winner: Optional[Candidate]
  ranking: Tuple[Candidate, ...]  # eligible candidates, best first
  reason: str


def _missing(candidate: Candidate, names: Sequence[str]) -> List[str]:
  return [n for n in names if not _finite(candidate.figures.get(n))]


def _finite(value) -> bool:
  return (isinstance(value, (int, float)) and not isinstance(value, bool)
          and math.isfinite(value))


def check_complete(candidate: Candidate, config: CandidateSelectorConfig):
  """Adds a problem to `candidate` when its evaluation cannot rank it."""
  if not candidate.evaluation_uri:
    candidate.problems.append("no evaluation")
    return
  if candidate.verdict != properties.VERDICT_BLESSED and candidate.blessed:
    candidate.problems.append(
        f"its evaluation's verdict is {candidate.verdict or 'missing'!r}, "
        "its blessing says BLESSED")
  missing = _missing(candidate, config.figures())
  if missing:
    candidate.problems.append(
        f"its evaluation lacks {', '.join(missing)} (objective "
        f"{config.objective.value!r} needs it)")


def _scores(eligible: Sequence[Candidate],
            config: CandidateSelectorConfig) -> None:
  if config.objective != Objective.WEIGHTS:
    figure = config.figures()[0]
    for c in eligible:
      c.score = c.figures[figure]
    return
  scale = {name: max(abs(c.figures[name]) for c in eligible) or 1.0
           for name in config.weights}
  for c in eligible:
    c.score = sum(w * c.figures[name] / scale[name]
                  for name, w in config.weights.items())


def _key(candidate: Candidate, config: CandidateSelectorConfig):
  primary = (-candidate.score if config.objective == Objective.WEIGHTS
             else candidate.score)
  ties = tuple(candidate.figures[n] if _finite(candidate.figures.get(n))
               else math.inf for n in TIE_BREAK[config.objective])
  return (primary,) + ties + (candidate.index,)


def select(candidates: Sequence[Candidate],
           config: CandidateSelectorConfig) -> Selection:
  """The best eligible candidate under `config.objective`, or none.

  Every candidate's evaluation is checked first (`check_complete`); only
  blessed candidates without problems are ranked.
  """
  for c in candidates:
    check_complete(c, config)
  eligible = [c for c in candidates if c.eligible]
  if not eligible:
    blessed = [c.variant for c in candidates if c.blessed]
    reason = ("no candidate is blessed" if not blessed else
              "no blessed candidate has a complete evaluation: " + "; ".join(
                  f"{c.variant}: {', '.join(c.problems)}"
                  for c in candidates if c.blessed))
    return Selection(None, (), reason)
  _scores(eligible, config)
  ranking = tuple(sorted(eligible, key=lambda c: _key(c, config)))
  winner = ranking[0]
  reason = (f"{winner.variant} is the best of {len(eligible)} blessed "
            f"candidate(s) by objective {config.objective.value!r}")
  if len(ranking) > 1 and ranking[1].score == winner.score:
    reason += (f" (tied with {ranking[1].variant} on it; broken by "
               f"{', '.join(TIE_BREAK[config.objective])}, then input order)")
  return Selection(winner, ranking, reason)


def pareto_frontier(points: Sequence[Tuple[str, float, float]]) -> List[str]:
  """Names of the (name, cost, quality) points no other point dominates.

  A point is dominated when another costs no more and is no worse, and is
  strictly better on one of the two (lower cost, higher quality).
  """
  front = []
  for name, cost, quality in points:
    if not any((c <= cost and q >= quality) and (c < cost or q > quality)
               for n, c, q in points if n != name):
      front.append(name)
  return front


def quality_metric(candidates: Sequence[Candidate]) -> Optional[str]:
  """The metric property plotted against size and latency.

  The first `metric_*` property (not a `_diff`) that every candidate having
  metrics shares, preferring one whose name holds 'accuracy'.
  """
  names = set()
  for c in candidates:
    names |= {n for n in c.figures
              if n.startswith(properties.EVAL_METRIC_PREFIX) and
              not n.endswith(properties.EVAL_DIFF_SUFFIX)}
  if not names:
    return None
  return sorted(names, key=lambda n: ("accuracy" not in n, n))[0]


def lower_is_better(metric_property: str) -> bool:
  """Whether a `metric_<name>` property improves downwards (an error, a loss)."""
  # pylint: disable=g-import-not-at-top
  from tfx_compression.compression_evaluator.config import Direction
  from tfx_compression.compression_evaluator.config import metric_direction
  name = metric_property[len(properties.EVAL_METRIC_PREFIX):]
  return metric_direction(name) is Direction.LOWER_IS_BETTER


def comparison(candidates: Sequence[Candidate], selection: Selection,
               config: CandidateSelectorConfig,
               baseline: Optional[dict] = None) -> dict:
  """comparison.json: every candidate, the objective and the choice, and
  the `baseline`'s figures (`executor.read_baseline`) when measured."""
  metric = quality_metric(candidates)
  sign = -1.0 if metric and lower_is_better(metric) else 1.0
  rank = {c.variant: i + 1 for i, c in enumerate(selection.ranking)}
  frontier = {}
  for axis, figure in (("size", properties.GZIP_SIZE_BYTES),
                       ("latency", properties.LATENCY_MEDIAN_US)):
    points = [(c.variant, c.figures[figure], sign * c.figures[metric])
              for c in candidates if c.eligible and metric and
              _finite(c.figures.get(figure)) and
              _finite(c.figures.get(metric))]
    frontier[axis] = pareto_frontier(points)
  winner = selection.winner
  return {
      "config": config.to_dict(),
      "objective": config.objective.value,
      "weights": dict(config.weights),
      "figures": list(config.figures()),
      "tie_break": list(TIE_BREAK[config.objective]) + ["input order"],
      "quality_metric": metric,
      "quality_higher_is_better": sign > 0,
      "selected": winner.variant if winner else None,
      "selected_model_id": winner.model_id if winner else None,
      "selected_model_uri": winner.model_uri if winner else None,
      "reason": selection.reason,
      "baseline": baseline,
      "frontier": frontier,
      "candidates": [dict(dataclasses.asdict(c), eligible=c.eligible,
                          rank=rank.get(c.variant),
                          selected=winner is c)
                     for c in candidates],
  }
