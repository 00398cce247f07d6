"""Structured channel pruning that physically shrinks a tf_keras model.

`plan` ranks the output channels of each prunable channel group (see
`channel_groups`) and chooses which to keep; `apply` rebuilds the model with
fewer filters / units and copies the surviving weights; `mask_removed` keeps
the original shapes and zeroes what the removed channels feed into, the
reference `apply` must match exactly.
"""

import dataclasses
import math
import numbers
from typing import Dict, List, Mapping, Optional, Tuple, Union

from absl import logging
import numpy as np

from tfx_compression.errors import CompressionConfigError
from tfx_compression.errors import UnsupportedModelError
from tfx_compression.lib.channels import groups as channel_groups
from tfx_compression.lib.channels.importance import channel_importance
from tfx_compression.lib.channels.importance import CRITERIA
from tfx_compression.lib.keras import model_cost
from tfx_compression.lib.keras import tf_setup  # pylint: disable=unused-import

UNSUPPORTED_ERROR = "error"  # a group that cannot be pruned raises
UNSUPPORTED_SKIP = "skip"  # it stays whole, with a warning in the plan
UNSUPPORTED_OPTIONS = (UNSUPPORTED_ERROR, UNSUPPORTED_SKIP)
_EPS = 1e-9  # absorbs float error in ratio * channels (0.29 * 100)


@dataclasses.dataclass(frozen=True)
class GroupPlan:
  """What happens to one channel group.

  Attributes:
    producers: the Conv2D / Dense layers whose output channels the group holds.
    members: every layer that shrinks with the group (producers included).
    channels_before: channels of the group in the original model.
    channels_after: channels kept.
    keep: kept channel indices, sorted.
    ratio: the requested ratio (0.0 for groups left whole).
  """

  producers: Tuple[str, ...]
  members: Tuple[str, ...]
  channels_before: int
  channels_after: int
  keep: Tuple[int, ...]
  ratio: float

  @property
  def pruned(self) -> bool:
    return self.channels_after < self.channels_before


@dataclasses.dataclass(frozen=True)
class ChannelPlan:
  """Which channels survive, with the predicted cost of the smaller model.

  Attributes:
    groups: every channel group of the model (whole ones keep all channels).
    warnings: why groups that were asked to shrink stay whole.
    criterion: the importance criterion used.
    tied: the channel_groups TIED_* option used.
    params_before / params_after: every weight of the model.
    flops_before / flops_after: 2 * multiply-adds for one example (see
      model_cost).
  """

  groups: Tuple[GroupPlan, ...]
  warnings: Tuple[str, ...]
  criterion: str
  tied: str
  params_before: int
  params_after: int
  flops_before: int
  flops_after: int

  @property
  def pruned(self) -> Tuple[GroupPlan, ...]:
    return tuple(g for g in self.groups if g.pruned)

  def group_of(self, producer: str) -> GroupPlan:
    """The group whose output channels `producer` makes."""
    for group in self.groups:
      if producer in group.producers:
        return group
    raise KeyError(f"{producer!r} is not a producer of any channel group")


def _check_choice(field, value, allowed):
  if value not in allowed:
    raise CompressionConfigError(
        f"{field} must be one of {list(allowed)}; got {value!r}")


def _check_ratio(field: str, ratio, channels: Optional[int] = None) -> float:
  if isinstance(ratio, bool) or not isinstance(ratio, numbers.Real):
    raise CompressionConfigError(
        f"{field} must be a number in [0, 1); got {ratio!r}")
  ratio = float(ratio)
  if 0.0 <= ratio < 1.0:
    return ratio
  left = ""
  if channels is not None and ratio >= 1.0:
    remain = max(0, channels - math.floor(ratio * channels))
    left = (f": it would leave {remain} of its {channels} channels, and at "
            "least one channel must stay")
  raise CompressionConfigError(
      f"{field} must be in [0, 1); got {ratio!r}{left}")


def _group_ratios(model, topo, ratios) -> List[Tuple[float, bool]]:
  """(ratio, named explicitly) for each group of `topo`."""
  if not isinstance(ratios, Mapping):
    ratio = _check_ratio("ratios", ratios)
    return [(ratio, False) for _ in topo.groups]
  names = [l.name for l in model.layers]
  prunable = [p for g in topo.groups if g.prunable for p in g.producers]
  unknown = [n for n in ratios if n not in names]
  if unknown:
    raise CompressionConfigError(
        f"ratios names unknown layer(s) {unknown}; prunable layers: {prunable}")
  result = []
  named = set()
  for group in topo.groups:
    asked = {p: _check_ratio(f"ratios[{p!r}]", ratios[p], group.channels)
             for p in group.producers if p in ratios}
    named.update(asked)
    if len(set(asked.values())) > 1:
      raise CompressionConfigError(
          f"layers {list(asked)} are pruned together (channel group of "
          f"{list(group.producers)}) but got different ratios {asked}; give "
          "them one ratio")
    result.append((next(iter(asked.values()), 0.0), bool(asked)))
  for name in ratios:
    if name not in named:
      layer = model.get_layer(name)
      raise CompressionConfigError(
          f"ratios[{name!r}]: layer {name!r} ({type(layer).__name__}) is not a "
          "Conv2D / Dense layer whose output channels can be pruned; prunable "
          f"layers: {prunable}")
  return result


def _removed(ratio: float, channels: int, group) -> int:
  removed = math.floor(ratio * channels + _EPS)
  if channels - removed < 1:
    raise CompressionConfigError(
        f"ratio {ratio} leaves no channel of {list(group.producers)} "
        f"({channels} channels); at least one channel must stay")
  return removed


def _left_whole(group, ratio, named, unsupported) -> str:
  """The warning for a group asked to shrink that must stay whole."""
  why = "; ".join(group.reasons)
  text = f"channel group of {list(group.producers)} left whole: {why}"
  if group.reason_kinds & channel_groups.TOPOLOGY_REASONS:
    if unsupported == UNSUPPORTED_ERROR:
      raise UnsupportedModelError(
          f"cannot prune channel group of {list(group.producers)} (ratio "
          f"{ratio}): {why}. Pass unsupported='skip' to leave it whole, or "
          "exclude these layers from ratios.")
  elif named:
    raise CompressionConfigError(
        f"ratios: layer(s) {list(group.producers)} cannot be pruned: {why}")
  return text


def plan(model, ratios: Union[float, Mapping[str, float]],
         criterion: str = "l1", tied: str = channel_groups.TIED_TOGETHER,
         unsupported: str = UNSUPPORTED_ERROR) -> ChannelPlan:
  """Chooses the output channels to keep in every channel group.

  Each group loses floor(ratio * channels) of its least important channels.

  Args:
    model: a built functional tf_keras model.
    ratios: the fraction of channels to remove, in [0, 1): one number for every
      prunable group, or layer name -> ratio (a group takes the ratio of its
      producers; groups of unnamed producers stay whole).
    criterion: one of CRITERIA (see channel_importance).
    tied: channel_groups.TIED_TOGETHER or TIED_WHOLE.
    unsupported: UNSUPPORTED_ERROR raises on a group that a layer or the
      topology keeps whole; UNSUPPORTED_SKIP leaves it whole with a warning.

  Returns:
    The ChannelPlan.

  Raises:
    CompressionConfigError: a bad option or ratio, an unknown layer name, a
      named layer that cannot be pruned, a group left without channels.
    UnsupportedModelError: with unsupported="error", a group that cannot be
      pruned because of a layer or the topology (names the layers).
  """
  _check_choice("criterion", criterion, CRITERIA)
  _check_choice("unsupported", unsupported, UNSUPPORTED_OPTIONS)
  topo = channel_groups.analyze(model, tied=tied)
  groups, warnings, keep = [], [], {}
  for index, (group, (ratio, named)) in enumerate(
      zip(topo.groups, _group_ratios(model, topo, ratios))):
    kept = tuple(range(group.channels))
    if ratio > 0 and not group.prunable:
      warnings.append(_left_whole(group, ratio, named, unsupported))
      ratio = 0.0
    removed = _removed(ratio, group.channels, group) if ratio > 0 else 0
    if removed:
      score = channel_importance(model, group.producers, criterion)
      dropped = set(np.argsort(score, kind="stable")[:removed].tolist())
      kept = tuple(c for c in range(group.channels) if c not in dropped)
      keep[index] = kept
    groups.append(GroupPlan(
        producers=group.producers, members=group.members,
        channels_before=group.channels, channels_after=len(kept), keep=kept,
        ratio=ratio))
  before = model_cost.cost(model)
  after = model_cost.cost(model, {
      name: [w.shape for w in weights]
      for name, weights in _shrunk_weights(model, topo, keep).items()})
  return ChannelPlan(
      groups=tuple(groups), warnings=tuple(warnings), criterion=criterion,
      tied=tied, params_before=before.params, params_after=after.params,
      flops_before=before.flops, flops_after=after.flops)


def _keep_by_group(topo, channel_plan: ChannelPlan) -> Dict[int, Tuple[int]]:
  """Matches the plan's groups to the model's; group index -> kept channels."""
  keep = {}
  for group_plan in channel_plan.pruned:
    index = next((i for i, g in enumerate(topo.groups)
                  if g.producers == group_plan.producers), None)
    if index is None or not topo.groups[index].prunable or (
        topo.groups[index].channels != group_plan.channels_before):
      raise CompressionConfigError(
          f"the plan does not fit this model: no prunable channel group of "
          f"{list(group_plan.producers)} with {group_plan.channels_before} "
          "channels")
    keep[index] = group_plan.keep
  return keep


def _shrunk_weights(model, topo, keep) -> Dict[str, List[np.ndarray]]:
  """Layer name -> its weights with removed channels cut out (changed only)."""
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  shrunk = {}
  for layer in model.layers:
    ins, outs = (topo.layer_inputs.get(layer.name),
                 topo.layer_outputs.get(layer.name))
    in_keep = topo.kept_index(ins, keep) if ins else None
    out_keep = topo.kept_index(outs, keep) if outs else None
    cls = type(layer)
    if in_keep is None and out_keep is None:
      continue
    weights = layer.get_weights()
    if cls in (keras.layers.Conv2D, keras.layers.Dense):
      kernel = weights[0]
      if in_keep is not None:
        kernel = np.take(kernel, in_keep, axis=-2)
      if out_keep is not None:
        kernel = np.take(kernel, out_keep, axis=-1)
        weights[1:] = [np.take(b, out_keep, axis=0) for b in weights[1:]]
      weights[0] = kernel
    elif cls is keras.layers.DepthwiseConv2D and in_keep is not None:
      weights[0] = np.take(weights[0], in_keep, axis=2)
      weights[1:] = [np.take(b, in_keep, axis=0) for b in weights[1:]]
    elif cls is keras.layers.BatchNormalization and in_keep is not None:
      weights = [np.take(w, in_keep, axis=0) for w in weights]
    else:
      continue
    shrunk[layer.name] = weights
  return shrunk


def _clone(model, sizes: Mapping[str, int], changed):
  """Re-creates `model` layer by layer from the layers' configs.

  Layers in `sizes` get that many filters / units. A layer that cannot be
  re-created from its config is shared with `model` (same object and
  variables), unless it is in `changed`.
  """
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  shared = []

  def rebuild(layer):
    try:
      config = layer.get_config()
      if layer.name in sizes:
        config["filters" if "filters" in config else "units"] = sizes[
            layer.name]
      return type(layer).from_config(config)
    except (NotImplementedError, TypeError, ValueError) as e:
      if layer.name in changed:
        raise UnsupportedModelError(
            f"cannot re-create layer {layer.name!r} ({type(layer).__name__}) "
            f"from its config, and its weights must change: {e}") from e
      shared.append(layer.name)
      return layer

  try:
    new = keras.models.clone_model(model, clone_function=rebuild)
  except UnsupportedModelError:
    raise
  except (NotImplementedError, TypeError, ValueError) as e:
    raise UnsupportedModelError(
        f"cannot rebuild model {model.name!r} from its layers: {e}") from e
  if shared:
    logging.warning("Layers %s cannot be re-created from their configs; the "
                    "new model shares them with the original.", shared)
  return new


def apply(model, channel_plan: ChannelPlan):
  """Builds a new, smaller model with only the planned channels.

  Every layer is re-created from its config (Conv2D filters / Dense units
  reduced) and given the surviving weights; a layer that cannot be re-created
  from its config and does not change is shared with `model`. Input names and shapes, layer
  names and output shapes stay those of `model`; the result is not compiled.

  Args:
    model: the model the plan was made for.
    channel_plan: from `plan`.

  Returns:
    The new tf_keras model.

  Raises:
    CompressionConfigError: the plan does not fit `model`.
    UnsupportedModelError: a layer cannot be re-created from its config.
  """
  topo = channel_groups.analyze(model, tied=channel_plan.tied)
  keep = _keep_by_group(topo, channel_plan)
  shrunk = _shrunk_weights(model, topo, keep)
  sizes = {p: g.channels_after for g in channel_plan.pruned
           for p in g.producers}
  smaller = _clone(model, sizes, changed=set(shrunk))
  for layer in smaller.layers:
    original = model.get_layer(layer.name)
    if original.weights:
      layer.set_weights(shrunk.get(layer.name, original.get_weights()))
  for new, old in zip(smaller.outputs, model.outputs):
    if tuple(new.shape) != tuple(old.shape):
      raise UnsupportedModelError(
          f"rebuilt output {new.name} has shape {tuple(new.shape)}, not "
          f"{tuple(old.shape)}")
  return smaller


def mask_removed(model, channel_plan: ChannelPlan):
  """A same-shape copy of `model` in which removed channels contribute nothing.

  The Conv2D / Dense layers that read a removed channel get zero kernel weights
  for it; everything else is copied unchanged.
  """
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  topo = channel_groups.analyze(model, tied=channel_plan.tied)
  keep = _keep_by_group(topo, channel_plan)
  kept_inputs = {}
  for layer in model.layers:
    ins = topo.layer_inputs.get(layer.name)
    if type(layer) in (keras.layers.Conv2D, keras.layers.Dense) and ins:
      in_keep = topo.kept_index(ins, keep)
      if in_keep is not None:
        kept_inputs[layer.name] = in_keep
  masked = _clone(model, {}, changed=set(kept_inputs))
  masked.set_weights(model.get_weights())
  for name, in_keep in kept_inputs.items():
    layer = masked.get_layer(name)
    weights = layer.get_weights()
    removed = np.setdiff1d(np.arange(weights[0].shape[-2]), in_keep)
    weights[0][..., removed, :] = 0.0
    layer.set_weights(weights)
  return masked
