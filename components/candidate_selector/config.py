"""CandidateSelector configuration: validated on construction, one JSON property."""

import dataclasses
import enum
from typing import Any, Mapping, Tuple

from tfx_compression.framework import config_utils
from tfx_compression.framework import properties
from tfx_compression.errors import CompressionConfigError

# The component's one exec property (its spec's parameter).
CONFIG_KEY = "candidate_selector_config"


class Objective(str, enum.Enum):
  """What makes one blessed candidate better than another."""

  SMALLEST = "smallest"  # lowest gzip_size_bytes
  FASTEST = "fastest"  # lowest latency_median_us (batch 1)
  WEIGHTS = "weights"  # highest weighted sum of normalised figures


# The ModelEvaluation properties (evaluation_properties.py) each objective
# reads; `weights` reads the names it is given.
OBJECTIVE_FIGURES = {
    Objective.SMALLEST: properties.GZIP_SIZE_BYTES,
    Objective.FASTEST: properties.LATENCY_MEDIAN_US,
}
# Figures a weight may name besides `metric_<name>` and `metric_<name>_diff`.
WEIGHT_FIGURES = (properties.SIZE_BYTES, properties.GZIP_SIZE_BYTES,
                  properties.LATENCY_MEDIAN_US, properties.PEAK_MEMORY_BYTES)


def _check_weights(weights: Any) -> dict:
  if not isinstance(weights, Mapping):
    raise CompressionConfigError(
        f"weights must be a mapping of figure name to number; got {weights!r}")
  checked = {}
  for name, weight in sorted(weights.items()):
    if not (name in WEIGHT_FIGURES or (
        isinstance(name, str) and name.startswith(properties.EVAL_METRIC_PREFIX)
        and len(name) > len(properties.EVAL_METRIC_PREFIX))):
      raise CompressionConfigError(
          f"weights key must be one of {', '.join(map(repr, WEIGHT_FIGURES))} "
          f"or '{properties.EVAL_METRIC_PREFIX}<metric>' / "
          f"'{properties.EVAL_METRIC_PREFIX}<metric>"
          f"{properties.EVAL_DIFF_SUFFIX}' (a ModelEvaluation property, e.g. "
          f"'metric_sparse_categorical_accuracy'); got {name!r}")
    value = config_utils.check_float(weight, f"weights[{name!r}]")
    if value == 0.0:
      raise CompressionConfigError(
          f"weights[{name!r}] must be non-zero (leave the figure out instead); "
          f"got {weight!r}")
    checked[name] = value
  return checked


@dataclasses.dataclass(frozen=True)
class CandidateSelectorConfig(config_utils.JsonConfig, key=CONFIG_KEY,
                              label="CandidateSelector config"):
  """How CandidateSelector ranks the blessed candidates.

  Attributes:
    objective: 'smallest' (lowest gzip size), 'fastest' (lowest batch-1
      latency median) or 'weights' (highest weighted score, see `weights`).
    weights: For objective 'weights' only: figure name -> weight. A figure is
      a ModelEvaluation property: 'size_bytes', 'gzip_size_bytes',
      'latency_median_us', 'peak_memory_bytes', 'metric_<metric>' or
      'metric_<metric>_diff'. Each figure is divided by its largest absolute
      value among the blessed candidates, so every term lies in [-1, 1];
      the score is the weighted sum, and the highest score wins. Give
      negative weights to figures where lower is better, e.g.
      {'metric_sparse_categorical_accuracy': 1.0, 'gzip_size_bytes': -0.5}.
    variants: The candidates' names, in the order of the component's inputs
      (set by the component from its `candidates`).
  """

  objective: Objective = Objective.SMALLEST
  weights: Mapping[str, float] = dataclasses.field(default_factory=dict)
  variants: Tuple[str, ...] = ()

  def __post_init__(self):
    set_ = lambda k, v: object.__setattr__(self, k, v)
    config_utils.parse_enum_fields(self)
    set_("weights", _check_weights(self.weights))
    if self.objective == Objective.WEIGHTS and not self.weights:
      raise CompressionConfigError(
          "objective 'weights' needs weights, e.g. "
          "{'metric_sparse_categorical_accuracy': 1.0, "
          "'gzip_size_bytes': -0.5}; got {}")
    if self.objective != Objective.WEIGHTS and self.weights:
      raise CompressionConfigError(
          f"weights are read only with objective 'weights'; got objective "
          f"{self.objective.value!r} and weights {self.weights!r}")
    variants = config_utils.check_sequence(self.variants, "variants")
    for variant in variants:
      config_utils.check_nonempty_str(variant, "variants[]")
    if len(set(variants)) != len(variants):
      raise CompressionConfigError(
          f"variants must be unique; got {list(variants)!r}")
    set_("variants", variants)

  def figures(self) -> Tuple[str, ...]:
    """The ModelEvaluation properties the objective reads."""
    if self.objective == Objective.WEIGHTS:
      return tuple(self.weights)
    return (OBJECTIVE_FIGURES[self.objective],)
