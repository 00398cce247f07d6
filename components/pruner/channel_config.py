"""Channel pruning configuration: how many whole channels each layer loses.

Used by `PrunerConfig(granularity="channel", channels=ChannelPruning(...))`.
Exactly one of `ratio`, `layer_ratios` or `auto` says how much to remove.
"""

import dataclasses
import enum
from typing import Any, Mapping, Optional, Tuple

from tfx_compression.framework import config_utils
from tfx_compression.errors import CompressionConfigError


class ChannelCriterion(str, enum.Enum):
  """How a channel's importance is ranked (lowest removed first)."""

  L1 = "l1"  # L1 norm of the filter
  L2 = "l2"  # L2 norm of the filter
  BN_GAMMA = "bn_gamma"  # |gamma| of the BatchNormalization that follows


class TiedGroups(str, enum.Enum):
  """Channels tied by residual Add / Multiply / Concatenate."""

  TOGETHER = "together"  # prune the tied layers as one group
  WHOLE = "whole"  # leave tied groups unpruned


class OnUnsupported(str, enum.Enum):
  """A layer the surgery does not understand inside a channel group."""

  ERROR = "error"  # fail, naming the layers
  SKIP = "skip"  # leave that group whole; warn in the report


class CostTarget(str, enum.Enum):
  FLOPS = "flops"  # 2 x multiply-adds of Conv2D, DepthwiseConv2D and Dense
  LATENCY = "latency"  # measured float TFLite latency, 1 thread, batch 1



@dataclasses.dataclass(frozen=True)
class AutoRatios:
  """Per-layer ratios chosen by a sensitivity pass to meet a cost target.

  Each channel group is pruned alone at every candidate ratio and evaluated
  (no fine-tuning) on `num_examples` eval examples; a greedy search then
  picks the ratios that bring the cost down to `keep_fraction` of the
  original with the least predicted accuracy loss.

  Attributes:
    target: 'flops' (exact, from the layer shapes) or 'latency' (float TFLite
      at 1 thread, measured per candidate: slower; the sum of per-layer
      savings is the prediction, the final latency is measured).
    keep_fraction: The pruned model's cost as a fraction of the original's,
      in (0, 1]; e.g. 0.5 halves the FLOPs.
    candidate_ratios: Ratios tried per group, each in (0, 1).
    num_examples: Eval examples used to measure sensitivity.
  """

  target: CostTarget = CostTarget.FLOPS
  keep_fraction: float = 0.5
  candidate_ratios: Tuple[float, ...] = (0.25, 0.5, 0.75)
  num_examples: int = 256

  def __post_init__(self):
    config_utils.parse_enum_fields(self, "channels.auto.")
    config_utils.check_float(self.keep_fraction, "channels.auto.keep_fraction")
    if not 0.0 < self.keep_fraction <= 1.0:
      raise CompressionConfigError(
          "channels.auto.keep_fraction must be in (0, 1]; got "
          f"{self.keep_fraction!r}")
    ratios = self.candidate_ratios
    if (isinstance(ratios, (str, bytes)) or not isinstance(ratios, (list, tuple))
        or not ratios):
      raise CompressionConfigError(
          "channels.auto.candidate_ratios must be a non-empty list of ratios "
          f"in (0, 1); got {ratios!r}")
    checked = tuple(config_utils.check_fraction(r, "channels.auto.candidate_ratios entry")
                    for r in ratios)
    if 0.0 in checked or list(checked) != sorted(set(checked)):
      raise CompressionConfigError(
          "channels.auto.candidate_ratios must be increasing, distinct and in "
          f"(0, 1); got {ratios!r}")
    object.__setattr__(self, "candidate_ratios", checked)
    config_utils.check_int(self.num_examples, "channels.auto.num_examples",
                           minimum=1)


@dataclasses.dataclass(frozen=True)
class ChannelPruning:
  """Structured channel pruning: smaller dense layers, not sparse ones.

  Attributes:
    ratio: One ratio for every prunable Conv2D / Dense output (within the
      Pruner's layer selection): the fraction of channels removed.
    layer_ratios: Ratios per layer name, as a mapping or (name, ratio) pairs;
      layers tied by a residual Add must get the same ratio.
    auto: Ratios chosen by a sensitivity pass (see `AutoRatios`).
    criterion: 'l1', 'l2' or 'bn_gamma'.
    tied_groups: 'together' or 'whole'.
    unsupported: 'error' or 'skip' for groups the surgery cannot follow.
    latency_runs: Runs of the float TFLite latency measured before and after
      (1 thread, batch 1; median reported).
  """

  ratio: Optional[float] = None
  layer_ratios: Tuple[Tuple[str, float], ...] = ()
  auto: Optional[AutoRatios] = None
  criterion: ChannelCriterion = ChannelCriterion.L1
  tied_groups: TiedGroups = TiedGroups.TOGETHER
  unsupported: OnUnsupported = OnUnsupported.ERROR
  latency_runs: int = 50

  def __post_init__(self):
    set_ = lambda k, v: object.__setattr__(self, k, v)
    config_utils.parse_enum_fields(self, "channels.")
    set_("layer_ratios", _pairs(self.layer_ratios))
    if self.ratio is not None:
      set_("ratio", config_utils.check_fraction(self.ratio, "channels.ratio"))
    given = [name for name, value in (("ratio", self.ratio),
                                      ("layer_ratios", self.layer_ratios or None),
                                      ("auto", self.auto)) if value is not None]
    if len(given) != 1:
      raise CompressionConfigError(
          "channels needs exactly one of ratio, layer_ratios or auto; got "
          f"{given or 'none'}")
    if self.auto is not None and not isinstance(self.auto, AutoRatios):
      raise CompressionConfigError(
          f"channels.auto must be an AutoRatios; got {self.auto!r}")
    config_utils.check_int(self.latency_runs, "channels.latency_runs",
                           minimum=1)

  @property
  def ratios_by_layer(self) -> Mapping[str, float]:
    return dict(self.layer_ratios)

  @classmethod
  def from_dict(cls, values: Mapping[str, Any]) -> "ChannelPruning":
    return config_utils.from_mapping(cls, values, "channels", {
        "auto": lambda v: config_utils.from_mapping(AutoRatios, v,
                                                    "channels.auto")})


def _pairs(value: Any) -> Tuple[Tuple[str, float], ...]:
  """A mapping or (name, ratio) pairs as sorted, checked pairs."""
  items = value.items() if isinstance(value, Mapping) else value
  try:
    pairs = [tuple(p) for p in items]
  except TypeError as e:
    raise CompressionConfigError(
        "channels.layer_ratios must map layer names to ratios; got "
        f"{value!r}") from e
  checked = []
  for pair in pairs:
    if len(pair) != 2:
      raise CompressionConfigError(
          "channels.layer_ratios must map layer names to ratios; got "
          f"{value!r}")
    name = config_utils.check_nonempty_str(pair[0], "channels.layer_ratios key")
    checked.append((name, config_utils.check_fraction(pair[1],
                                       f"channels.layer_ratios[{name!r}]")))
  names = [n for n, _ in checked]
  if len(set(names)) != len(names):
    raise CompressionConfigError(
        f"channels.layer_ratios names a layer twice; got {value!r}")
  return tuple(sorted(checked))
