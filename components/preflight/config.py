"""Preflight configuration: what the plan asks of the examples."""

import dataclasses
from typing import Tuple

from tfx_compression.framework import config_utils
from tfx_compression.errors import CompressionConfigError

CONFIG_KEY = "preflight_config"


@dataclasses.dataclass(frozen=True)
class SplitSize:
  """At least `value` examples in `splits` together, as plan key `plan_key` asks."""

  plan_key: str
  value: int
  splits: Tuple[str, ...]

  def __post_init__(self):
    config_utils.check_nonempty_str(self.plan_key, "plan_key")
    config_utils.check_int(self.value, "value", minimum=1)
    if not self.splits:
      raise CompressionConfigError(f"{self.plan_key}: no split named")
    object.__setattr__(self, "splits", tuple(self.splits))


@dataclasses.dataclass(frozen=True)
class Feature:
  """Feature `feature` in split `split`, as plan key `plan_key` names it."""

  plan_key: str
  feature: str
  split: str

  def __post_init__(self):
    for name in ("plan_key", "feature", "split"):
      config_utils.check_nonempty_str(getattr(self, name), name)


@dataclasses.dataclass(frozen=True)
class Metric:
  """A metric class TFMA or tf_keras must know, as plan key `plan_key` names it."""

  plan_key: str
  class_name: str

  def __post_init__(self):
    for name in ("plan_key", "class_name"):
      config_utils.check_nonempty_str(getattr(self, name), name)


@dataclasses.dataclass(frozen=True)
class PreflightConfig(config_utils.JsonConfig, key=CONFIG_KEY,
                      label="Preflight config"):
  """What the examples must hold for the plan to run (see `requirements`).

  Attributes:
    sizes: Splits that must hold at least so many examples.
    features: Features a split must have (e.g. an explicit label key).
    metrics: Metric classes the evaluator will ask TFMA for.
  """

  sizes: Tuple[SplitSize, ...] = ()
  features: Tuple[Feature, ...] = ()
  metrics: Tuple[Metric, ...] = ()

  def __post_init__(self):
    for name in ("sizes", "features", "metrics"):
      object.__setattr__(self, name, tuple(getattr(self, name)))

  @classmethod
  def field_converters(cls):
    return {
        "sizes": lambda v: tuple(config_utils.from_mapping(SplitSize, s, "sizes")
                                 for s in v),
        "features": lambda v: tuple(
            config_utils.from_mapping(Feature, f, "features") for f in v),
        "metrics": lambda v: tuple(
            config_utils.from_mapping(Metric, m, "metrics") for m in v),
    }


def requirements(plan) -> PreflightConfig:
  """What `plan` (a CompressionPlan) asks of the examples, by plan key.

  Explicit sample sizes (defaults clamp to the split), explicit label keys
  and metric classes: checked before the Trainer trains, not when the step
  reaches them.
  """
  from tfx_compression.lib.options.quantization import needs_calibration  # pylint: disable=g-import-not-at-top
  sizes, features = [], []
  ptq = plan.ptq_config
  if ptq is not None and any(needs_calibration(m) for m in plan.ptq_modes):
    if ptq.num_calibration_examples is not None:
      sizes.append(SplitSize("ptq_config.num_calibration_examples",
                             ptq.num_calibration_examples,
                             ptq.calibration_splits))
    if ptq.label_key:
      features += [Feature("ptq_config.label_key", ptq.label_key, split)
                   for split in ptq.calibration_splits]
  evaluator, metrics = plan.evaluator, []
  if evaluator is not None and evaluator.label_key:
    features.append(Feature("evaluator.label_key", evaluator.label_key,
                            evaluator.example_split))
  if evaluator is not None:
    metrics = [Metric(f"evaluator.metrics[{i}].class_name", m.class_name)
               for i, m in enumerate(evaluator.metrics)]
  return PreflightConfig(tuple(sizes), tuple(features), tuple(metrics))
