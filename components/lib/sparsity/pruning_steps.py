"""Pruning schedules in steps: where the ramp ends and how often masks update.

tfmot updates pruning masks only on steps `begin_step + k * frequency` up to
`end_step`, and fine-tuning runs steps 0 .. total_steps - 1. A schedule
reaches its target only if `end_step` itself is such a step inside training
(with tfmot's default frequency of 100 and 180 steps, sparsity stopped at
77.4 % of 80 %). `plan` derives the steps from the length of fine-tuning:

* the ramp ends `recovery_fraction` of the steps before the end, on a prune
  step, so the last mask update applies the target and the remaining steps
  recover accuracy at the target sparsity;
* `frequency` gives the ramp at least `MIN_MASK_UPDATES` mask updates on
  small data (a prune step every ramp / 16 steps: every 3 steps for 45 steps
  an epoch x 2 epochs) and tfmot's 100 on large data (ramps of 1,600 steps
  or more).
"""

import dataclasses
from typing import Optional

from tfx_compression.errors import CompressionConfigError

MIN_MASK_UPDATES = 16
MAX_FREQUENCY = 100
DEFAULT_RECOVERY_FRACTION = 0.3


@dataclasses.dataclass(frozen=True)
class StepPlan:
  """The steps a tfmot schedule is built with."""

  begin_step: int
  end_step: int  # the last mask update: sparsity is the target from here
  frequency: int
  total_steps: int

  @property
  def mask_updates(self) -> int:
    return (self.end_step - self.begin_step) // self.frequency + 1

  @property
  def recovery_steps(self) -> int:
    """Steps trained at the target sparsity after the last mask update."""
    return self.total_steps - 1 - self.end_step


def auto_frequency(span: int) -> int:
  """A frequency giving `span` steps MIN_MASK_UPDATES updates, at most 100."""
  return min(MAX_FREQUENCY, max(1, span // MIN_MASK_UPDATES))


def _dividing_frequency(span: int) -> int:
  """The largest frequency <= auto_frequency(span) that divides `span`."""
  frequency = auto_frequency(span)
  while span % frequency:
    frequency -= 1
  return frequency


def plan(total_steps: int, begin_step: int = 0, end_step: Optional[int] = None,
         frequency: Optional[int] = None,
         recovery_fraction: float = DEFAULT_RECOVERY_FRACTION) -> StepPlan:
  """Derives a schedule's steps from the length of fine-tuning.

  Args:
    total_steps: Fine-tuning steps (epochs x steps per epoch).
    begin_step: First prune step.
    end_step: Last prune step; None: `recovery_fraction` of the steps after
      `begin_step` are left after it, and it falls on a prune step.
    frequency: Steps between mask updates; None: `auto_frequency` of the
      ramp (with `end_step` given, the largest such that divides the ramp).
    recovery_fraction: In [0, 1): share of the steps after `begin_step`
      trained at the target sparsity (when `end_step` is None).

  Raises:
    CompressionConfigError: the steps do not fit in fine-tuning.
  """
  last = total_steps - 1
  if begin_step > last:
    raise CompressionConfigError(
        f"schedule.begin_step {begin_step} is past the last fine-tuning step "
        f"{last}; increase fine_tuning.epochs or steps_per_epoch")
  if end_step is not None:
    if end_step > last:
      raise CompressionConfigError(
          f"schedule.end_step {end_step} is past the last fine-tuning step "
          f"{last} ({total_steps} steps); the target sparsity would never be "
          "reached")
    if frequency is None:
      frequency = _dividing_frequency(end_step - begin_step)
    return StepPlan(begin_step, end_step, frequency, total_steps)
  span = int((last - begin_step) * (1.0 - recovery_fraction))
  if frequency is None:
    span = max(span, min(1, last - begin_step))
    frequency = auto_frequency(span)
  end_step = begin_step + span // frequency * frequency
  if end_step == begin_step and last > begin_step:
    raise CompressionConfigError(
        f"fine-tuning has {total_steps} steps; with schedule.frequency "
        f"{frequency} and recovery_fraction {recovery_fraction:g} there is "
        f"only one prune step after begin_step {begin_step}. Lower "
        "schedule.frequency, lower recovery_fraction or train longer.")
  return StepPlan(begin_step, end_step, frequency, total_steps)
