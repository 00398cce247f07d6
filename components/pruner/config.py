"""Pruner configuration: validated dataclasses that round-trip through JSON.

Every class validates in `__post_init__` (like tfmot's pruning schedules) and
converts to/from plain dicts, so the component stores one JSON exec property
and the executor rebuilds exactly the same objects.
"""

import dataclasses
import enum
from typing import Any, Mapping, Optional, Tuple, Union

from tfx_compression.framework import config_utils
from tfx_compression.errors import CompressionConfigError
from tfx_compression.fine_tuning import config as tuning_config
from tfx_compression.lib.sparsity.pruning_steps import DEFAULT_RECOVERY_FRACTION
from tfx_compression.pruner.channel_config import ChannelPruning
from tfx_compression.fine_tuning.config import FineTuningFields
from tfx_compression.fine_tuning.config import FineTuning  # pylint: disable=unused-import  (re-exported: a public name here)
from tfx_compression.fine_tuning.config import LayerSelection  # pylint: disable=unused-import  (re-exported: a public name here)



@dataclasses.dataclass(frozen=True)
class PolynomialDecay:
  """Sparsity rising from `initial_sparsity` to `final_sparsity` (tfmot PolynomialDecay).

  Steps are derived from the length of fine-tuning (`lib/sparsity/pruning_steps.py`):
  `end_step=None` ends the ramp on a prune step `recovery_fraction` of the
  steps before the end, and `frequency=None` gives the ramp at least 16
  mask updates on small data, one every 100 steps (tfmot's default) on
  large data, so the final sparsity is the target.
  """

  initial_sparsity: float = 0.0
  final_sparsity: float = 0.5
  begin_step: int = 0
  end_step: Optional[int] = None
  power: float = 3.0
  frequency: Optional[int] = None
  recovery_fraction: float = DEFAULT_RECOVERY_FRACTION

  def __post_init__(self):
    config_utils.check_fraction(self.initial_sparsity, "schedule.initial_sparsity")
    config_utils.check_fraction(self.final_sparsity, "schedule.final_sparsity")
    if self.initial_sparsity > self.final_sparsity:
      raise CompressionConfigError(
          "schedule.initial_sparsity must be <= schedule.final_sparsity; got "
          f"{self.initial_sparsity!r} > {self.final_sparsity!r}")
    _check_steps(self)
    config_utils.check_float(self.power, "schedule.power", minimum=0.0)

  @property
  def target_sparsity(self) -> float:
    return self.final_sparsity


@dataclasses.dataclass(frozen=True)
class ConstantSparsity:
  """One sparsity level applied every `frequency` steps (tfmot ConstantSparsity).

  Steps are derived as for `PolynomialDecay`; masks stop moving at
  `end_step`, and the remaining steps recover at the target.
  """

  target_sparsity: float = 0.5
  begin_step: int = 0
  end_step: Optional[int] = None
  frequency: Optional[int] = None
  recovery_fraction: float = DEFAULT_RECOVERY_FRACTION

  def __post_init__(self):
    config_utils.check_fraction(self.target_sparsity, "schedule.target_sparsity")
    _check_steps(self)


Schedule = Union[PolynomialDecay, ConstantSparsity]
_SCHEDULES = {"polynomial_decay": PolynomialDecay, "constant": ConstantSparsity}


def _check_steps(schedule) -> None:
  config_utils.check_int(schedule.begin_step, "schedule.begin_step", minimum=0)
  if schedule.frequency is not None:
    config_utils.check_int(schedule.frequency, "schedule.frequency", minimum=1)
  fraction = config_utils.check_float(schedule.recovery_fraction,
                                      "schedule.recovery_fraction")
  if not 0.0 <= fraction < 1.0:
    raise CompressionConfigError(
        "schedule.recovery_fraction must be in [0, 1); got "
        f"{schedule.recovery_fraction!r}")
  if schedule.end_step is not None:
    config_utils.check_int(schedule.end_step, "schedule.end_step")
    if schedule.begin_step >= schedule.end_step:
      raise CompressionConfigError(
          "schedule.begin_step must be < schedule.end_step; got "
          f"begin_step={schedule.begin_step}, end_step={schedule.end_step}")
    if schedule.frequency is not None and (
        schedule.end_step - schedule.begin_step) % schedule.frequency:
      raise CompressionConfigError(
          "schedule.end_step - schedule.begin_step must be a multiple of "
          f"schedule.frequency ({schedule.frequency}), or the last prune step "
          f"falls before end_step and the target sparsity is never reached; "
          f"got begin_step={schedule.begin_step}, end_step={schedule.end_step}")


class Granularity(str, enum.Enum):
  """Which weights are removed together."""

  UNSTRUCTURED = "unstructured"  # any single weight
  BLOCK = "block"  # blocks of `block_size`, ranked by pooled magnitude
  M_BY_N = "m_by_n"  # m zeros in every n consecutive input-channel weights
  CHANNEL = "channel"  # whole output channels removed: a smaller dense model


class BlockPooling(str, enum.Enum):
  """How a block's magnitude is pooled (tfmot's `block_pooling_type`)."""

  AVG = "avg"
  MAX = "max"

  @classmethod
  def _missing_(cls, value):
    # Configs written before the closed sets went lowercase said "AVG"/"MAX".
    return cls.__members__.get(value) if isinstance(value, str) else None

  @property
  def tfmot_name(self) -> str:
    return self.name  # "AVG" / "MAX"


class Policy(str, enum.Enum):
  """Which layers may be pruned, for what runtime."""

  NONE = "none"  # the layers `selection` chooses
  # tfmot's PruneForLatencyOnXNNPack: only 1x1 convolutions, in a model of
  # the structure XNNPACK's sparse inference takes (a 3x3 stride-2 'valid'
  # stem convolution after ZeroPadding2D(1), ... GlobalAveragePooling2D),
  # checked before pruning. Convert with LiteConverter sparse_encoding
  # 'auto' or 'sparse' to keep the weights sparse for XNNPACK.
  XNNPACK = "xnnpack"


class Allocation(str, enum.Enum):
  """How the target sparsity is shared among the pruned layers."""

  UNIFORM = "uniform"  # every pruned layer reaches the schedule's target
  # One magnitude threshold over all pruned kernels of the input model: each
  # layer's share under it (at most 0.98), so the pruned layers together
  # reach the target (lib/sparsity/allocation.py). Unstructured only.
  GLOBAL_MAGNITUDE = "global_magnitude"


# The component's one exec property (its spec's parameter).
CONFIG_KEY = "pruner_config"


@dataclasses.dataclass(frozen=True)
class PrunerConfig(FineTuningFields, config_utils.JsonConfig, key=CONFIG_KEY,
                   label="Pruner config"):
  """Everything the Pruner needs besides its input artifacts.

  Attributes:
    schedule: PolynomialDecay or ConstantSparsity; must be None for m_by_n,
      whose sparsity is fixed at m/n, and for channel, which removes
      channels once and then fine-tunes the smaller model.
    granularity: unstructured, block, m_by_n or channel.
    block_size: (rows, cols) pruned together, for granularity 'block'.
    block_pooling: How a block's magnitude is pooled: avg or max.
    m_by_n: (m, n): m zeros in every n consecutive weights, e.g. (2, 4).
    channels: How many channels to remove, for granularity 'channel' (see
      `ChannelPruning`); the selection limits which layers may shrink.
    policy: 'none' or 'xnnpack' (tfmot's PruneForLatencyOnXNNPack: prune
      only the selected 1x1 convolutions of a model XNNPACK can run sparse;
      granularity 'unstructured' or 'block').
    allocation: 'uniform' (every pruned layer at the schedule's target) or
      'global_magnitude' (per-layer targets from one magnitude threshold
      over all pruned kernels; the overall sparsity is the target).
    selection: Which layers to prune.
    fine_tuning, input_fn, module_file, model_fn, trust_model_code: see
      `fine_tuning.config.FineTuningFields` (keyword-only).
  """

  schedule: Optional[Schedule] = None
  granularity: Granularity = Granularity.UNSTRUCTURED
  block_size: Tuple[int, int] = (1, 1)
  block_pooling: BlockPooling = BlockPooling.AVG
  m_by_n: Tuple[int, int] = (2, 4)
  channels: Optional[ChannelPruning] = None
  policy: Policy = Policy.NONE
  allocation: Allocation = Allocation.UNIFORM

  def __post_init__(self):
    set_ = lambda k, v: object.__setattr__(self, k, v)
    config_utils.parse_enum_fields(self)
    set_("block_size", _int_pair(self.block_size, "block_size", minimum=1))
    set_("m_by_n", _int_pair(self.m_by_n, "m_by_n", minimum=1))
    if self.m_by_n[0] >= self.m_by_n[1]:
      raise CompressionConfigError(
          f"m_by_n must have m < n (m zeros in every n weights); got {self.m_by_n}")
    self.check_fine_tuning_fields()
    is_channel = self.granularity is Granularity.CHANNEL
    if is_channel and not isinstance(self.channels, ChannelPruning):
      raise CompressionConfigError(
          "granularity 'channel' needs channels=ChannelPruning(ratio=..., "
          f"layer_ratios=... or auto=...); got channels={self.channels!r}")
    if not is_channel and self.channels is not None:
      raise CompressionConfigError(
          "channels applies to granularity 'channel' only; got granularity "
          f"{self.granularity.value!r}")
    if is_channel:
      if self.schedule is not None:
        raise CompressionConfigError(
            "schedule must be None with granularity 'channel': channels are "
            "removed once, then the smaller model is fine-tuned; got "
            f"{self.schedule!r}")
    elif self.granularity is Granularity.M_BY_N:
      if self.schedule is not None:
        raise CompressionConfigError(
            "schedule must be None with granularity 'm_by_n': the sparsity is "
            f"fixed at m/n = {self.m_by_n[0]}/{self.m_by_n[1]}; got "
            f"{self.schedule!r}")
    elif self.schedule is None:
      set_("schedule", PolynomialDecay())
    elif not isinstance(self.schedule, (PolynomialDecay, ConstantSparsity)):
      raise CompressionConfigError(
          "schedule must be a PolynomialDecay or ConstantSparsity; got "
          f"{self.schedule!r}")
    if self.policy is Policy.XNNPACK and self.granularity not in (
        Granularity.UNSTRUCTURED, Granularity.BLOCK):
      raise CompressionConfigError(
          "policy 'xnnpack' prunes weights for XNNPACK's sparse kernels: "
          "granularity must be 'unstructured' or 'block'; got granularity "
          f"{self.granularity.value!r}")
    if (self.allocation is Allocation.GLOBAL_MAGNITUDE and
        self.granularity is not Granularity.UNSTRUCTURED):
      raise CompressionConfigError(
          "allocation 'global_magnitude' ranks single weights: granularity "
          f"must be 'unstructured'; got {self.granularity.value!r}")
    if self.granularity is not Granularity.BLOCK and self.block_size != (1, 1):
      raise CompressionConfigError(
          f"block_size applies to granularity 'block' only; got {self.block_size} "
          f"with granularity {self.granularity.value!r}")

  @property
  def target_sparsity(self) -> float:
    """Share of zeros asked of pruned layers (channel: the global ratio or 0)."""
    if self.granularity is Granularity.M_BY_N:
      return self.m_by_n[0] / self.m_by_n[1]
    if self.granularity is Granularity.CHANNEL:
      return self.channels.ratio or 0.0
    return self.schedule.target_sparsity

  def to_dict(self) -> dict:
    """The config as a JSON-ready dict; the schedule names its `kind`."""
    d = super().to_dict()
    if self.schedule is not None:
      kind = {v: k for k, v in _SCHEDULES.items()}[type(self.schedule)]
      d["schedule"]["kind"] = kind
    return d

  @classmethod
  def field_converters(cls):
    return {
        "schedule": _schedule_from_dict,
        "channels": ChannelPruning.from_dict,
        **tuning_config.NESTED_CONVERTERS,
    }


def _schedule_from_dict(values: Mapping[str, Any]) -> Schedule:
  if isinstance(values, str) and values in _SCHEDULES:
    values = {"kind": values}  # 'constant': that schedule's defaults
  if not isinstance(values, Mapping):
    raise CompressionConfigError(
        f"schedule must be a mapping with a 'kind' (one of "
        f"{sorted(_SCHEDULES)}) and that schedule's fields, e.g. "
        f"{{'kind': 'polynomial_decay', 'final_sparsity': 0.5}}; got "
        f"{values!r}")
  values = dict(values)
  kind = values.pop("kind", None)
  if kind not in _SCHEDULES:
    raise CompressionConfigError(
        f"schedule.kind must be one of {sorted(_SCHEDULES)}; got {kind!r}")
  return config_utils.from_mapping(_SCHEDULES[kind], values, "schedule")


def _int_pair(value: Any, field: str, minimum: int) -> Tuple[int, int]:
  if (isinstance(value, (str, bytes)) or not hasattr(value, "__len__")
      or len(value) != 2):
    raise CompressionConfigError(
        f"{field} must be a pair of integers; got {value!r}")
  return tuple(config_utils.check_int(v, field, minimum=minimum) for v in value)
