"""Automatic per-layer ratios for channel pruning, from a sensitivity scan.

`sensitivity` prunes each channel group alone at a few candidate ratios and
measures, without fine-tuning, how accuracy and loss suffer and what the
pruned model costs. `choose_ratios` then picks per-group ratios greedily: the
cheapest accuracy loss per unit of cost saved first, until the model costs at
most `keep_fraction` of the original (FLOPs or latency).
"""

import dataclasses
import math
import numbers
from typing import Callable, Dict, Mapping, Optional, Sequence, Tuple

import numpy as np

from tfx_compression.errors import CompressionConfigError
from tfx_compression.errors import UnsupportedModelError
from tfx_compression.lib.channels import groups as channel_groups
from tfx_compression.lib.channels import surgery
from tfx_compression.lib.keras import tf_setup

TARGET_FLOPS = "flops"  # check the target with the real FLOPs of the plan
TARGET_LATENCY = "latency"  # additive prediction from per-group latencies
TARGETS = (TARGET_FLOPS, TARGET_LATENCY)
DEFAULT_CANDIDATE_RATIOS = (0.25, 0.5, 0.75)
_EPS = 1e-9  # as channel_surgery: absorbs float error in ratio * channels


@dataclasses.dataclass(frozen=True)
class Point:
  """One channel group pruned alone at one ratio, not fine-tuned."""

  ratio: float  # the candidate ratio
  channels_after: int  # channels the group keeps
  accuracy: float  # on the eval sample
  loss: float  # mean sparse categorical cross-entropy on the eval sample
  flops: int  # of the whole model with only this group pruned
  latency: Optional[float]  # latency_fn of that model; None without one


@dataclasses.dataclass(frozen=True)
class Curve:
  """How one channel group reacts to pruning, by increasing ratio.

  `points` holds one Point per candidate ratio that removes more channels than
  the previous one (ratios removing nothing, or as much, are left out).
  """

  producers: Tuple[str, ...]  # the group's Conv2D / Dense layers
  channels: int  # the group's channels in the original model
  points: Tuple[Point, ...]


@dataclasses.dataclass(frozen=True)
class Sensitivity:
  """The unpruned model's figures and one Curve per analysed group."""

  base_accuracy: float  # of the original model on the eval sample
  base_loss: float
  base_flops: int  # see model_cost
  base_latency: Optional[float]  # latency_fn(model); None without one
  examples: int  # size of the eval sample
  criterion: str  # the surgery.plan options used
  tied: str
  curves: Tuple[Curve, ...]  # in model order
  warnings: Tuple[str, ...] = ()  # selected groups left whole, not analysed


@dataclasses.dataclass(frozen=True)
class Step:
  """One greedy step: a group moved to its next candidate ratio."""

  producers: Tuple[str, ...]
  ratio: float
  accuracy_drop: float  # predicted drop of the whole choice after this step
  cost_fraction: float  # cost / original cost after this step


@dataclasses.dataclass(frozen=True)
class Choice:
  """Per-layer ratios meeting a cost target."""

  target: str  # TARGET_FLOPS or TARGET_LATENCY
  keep_fraction: float  # the cost fraction asked for
  # Producer -> ratio for every producer of each chosen group, ready for
  # surgery.plan ({} when nothing needs pruning).
  ratios: Dict[str, float]
  predicted_accuracy_drop: float  # sum of the chosen groups' own drops
  # FLOPs: the real fraction of the plan; latency: the additive prediction.
  predicted_cost_fraction: float
  steps: Tuple[Step, ...]  # the greedy steps, in order


def _check_ratios(candidate_ratios) -> Tuple[float, ...]:
  what = ("candidate_ratios must be a non-empty, strictly increasing sequence "
          f"of numbers in (0, 1); got {candidate_ratios!r}")
  try:
    ratios = tuple(candidate_ratios)
  except TypeError as e:
    raise CompressionConfigError(what) from e
  if not ratios or any(isinstance(r, bool) or not isinstance(r, numbers.Real)
                       or not 0 < r < 1 for r in ratios) or any(
                           a >= b for a, b in zip(ratios, ratios[1:])):
    raise CompressionConfigError(what)
  return tuple(float(r) for r in ratios)


def _selected_groups(model, topo, producers, unsupported):
  """The groups to analyse, and warnings for selected groups left whole."""
  names = {l.name for l in model.layers}
  wanted = None if producers is None else set(
      [producers] if isinstance(producers, str) else producers)
  if wanted is not None:
    known = {p for g in topo.groups for p in g.producers}
    bad = sorted(n for n in wanted if n not in known)
    if bad:
      what = "unknown layer(s)" if set(bad) - names else "non-producer layer(s)"
      raise CompressionConfigError(
          f"producers names {what} {bad}; Conv2D / Dense producers of channel "
          f"groups: {sorted(known)}")
  chosen, warnings = [], []
  for group in topo.groups:
    if wanted is not None and not wanted & set(group.producers):
      continue
    if group.prunable:
      chosen.append(group)
      continue
    text = (f"channel group of {list(group.producers)} not analysed: "
            f"{'; '.join(group.reasons)}")
    topology = bool(group.reason_kinds & channel_groups.TOPOLOGY_REASONS)
    if unsupported == surgery.UNSUPPORTED_ERROR and (
        wanted is not None or topology):
      error = UnsupportedModelError if topology else CompressionConfigError
      raise error(f"{text}. Pass unsupported='skip' to leave it out.")
    warnings.append(text)
  return chosen, tuple(warnings)


def _scores(probs, labels) -> Tuple[float, float]:
  """Accuracy and mean sparse categorical cross-entropy of probabilities."""
  probs = np.asarray(probs, np.float64)
  if probs.ndim != 2 or probs.shape[0] != len(labels) or (
      labels.max(initial=0) >= probs.shape[1]):
    raise UnsupportedModelError(
        f"the model must output class probabilities of shape (examples, "
        f"classes) covering the labels; got shape {probs.shape} for "
        f"{len(labels)} labels up to {labels.max(initial=0)}")
  picked = np.clip(probs[np.arange(len(labels)), labels], 1e-7, 1.0)
  return (float(np.mean(np.argmax(probs, axis=-1) == labels)),
          float(np.mean(-np.log(picked))))


def sensitivity(model, inputs: Mapping[str, np.ndarray], labels,
                candidate_ratios: Sequence[float] = DEFAULT_CANDIDATE_RATIOS,
                criterion: str = "l1",
                tied: str = channel_groups.TIED_TOGETHER,
                unsupported: str = surgery.UNSUPPORTED_SKIP,
                producers: Optional[Sequence[str]] = None,
                latency_fn: Optional[Callable[..., float]] = None
                ) -> Sensitivity:
  """Prunes each prunable channel group alone and measures the damage.

  Evaluation masks removed channels as `surgery.mask_removed` does,
  but in place on ONE copy of the model, restoring the touched kernels after
  each candidate: shapes never change, so one traced predict function serves
  every candidate. `mask_removed` or `apply` per candidate clone the model and
  trace a new predict function each time: 0.4-0.8 s per candidate on the test
  CNNs (2 busy cores), against ~0.1 s. `apply` runs only for `latency_fn`.

  Args:
    model: a built functional tf_keras model outputting class probabilities.
    inputs: feature name -> array, the eval sample (predicted in one batch).
    labels: class index per example.
    candidate_ratios: strictly increasing ratios in (0, 1).
    criterion: surgery.CRITERIA.
    tied: channel_groups.TIED_OPTIONS.
    unsupported: with "error", a selected group that stays whole raises
      (with producers=None, only for topology reasons); "skip" leaves it out
      with a warning.
    producers: layer names; only groups holding one of them are analysed
      (None: every group).
    latency_fn: keras model -> latency (any unit); called on the original
      model and on each `apply`-ed candidate.

  Returns:
    The Sensitivity.

  Raises:
    CompressionConfigError: bad options, unknown producers, bad labels.
    UnsupportedModelError: see `unsupported`; a model that does not output
      one probability array.
  """
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  ratios = _check_ratios(candidate_ratios)
  labels = np.asarray(labels)
  sizes = {k: len(v) for k, v in inputs.items()}
  if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer) or any(
      n != len(labels) for n in sizes.values()) or not len(labels) or (
          labels.min() < 0):
    raise CompressionConfigError(
        "labels must be a non-empty 1-D array of class indices, one per "
        f"example; got dtype {labels.dtype}, shape {labels.shape} for inputs "
        f"{sizes}")
  tf_setup.skip_autograph_for_keras()
  # Checks criterion, tied and unsupported before anything costly.
  whole = surgery.plan(model, {}, criterion, tied, unsupported)
  topo = channel_groups.analyze(model, tied=tied)
  groups, warnings = _selected_groups(model, topo, producers, unsupported)
  work = surgery.mask_removed(model, whole)  # the reusable copy
  kinds = (keras.layers.Conv2D, keras.layers.Dense)  # as mask_removed
  consumers = [(l.name, topo.layer_inputs[l.name], l.get_weights())
               for l in model.layers if topo.layer_inputs.get(l.name)
               and type(l) in kinds]  # pylint: disable=unidiomatic-typecheck

  def evaluate(channel_plan=None):
    keep = {} if channel_plan is None else {
        i: g.keep for i, g in enumerate(channel_plan.groups) if g.pruned}
    touched = []
    try:
      for name, channels, weights in consumers:
        kept = topo.kept_index(channels, keep)
        if kept is None:
          continue
        kernel = weights[0].copy()
        kernel[..., np.setdiff1d(np.arange(kernel.shape[-2]), kept), :] = 0.0
        touched.append((name, weights))
        work.get_layer(name).set_weights([kernel] + weights[1:])
      return _scores(work.predict_on_batch(dict(inputs)), labels)
    finally:
      for name, weights in touched:
        work.get_layer(name).set_weights(weights)

  base_accuracy, base_loss = evaluate()
  curves = []
  for group in groups:
    points, last = [], 0
    for ratio in ratios:
      removed = math.floor(ratio * group.channels + _EPS)
      if removed <= last:
        continue
      last = removed
      channel_plan = surgery.plan(
          model, {p: ratio for p in group.producers}, criterion, tied,
          unsupported)
      accuracy, loss = evaluate(channel_plan)
      latency = None if latency_fn is None else float(
          latency_fn(surgery.apply(model, channel_plan)))
      points.append(Point(ratio, group.channels - removed, accuracy, loss,
                          int(channel_plan.flops_after), latency))
    curves.append(Curve(tuple(group.producers), group.channels,
                        tuple(points)))
  return Sensitivity(
      base_accuracy=base_accuracy, base_loss=base_loss,
      base_flops=int(whole.flops_before),
      base_latency=None if latency_fn is None else float(latency_fn(model)),
      examples=len(labels), criterion=criterion, tied=tied,
      curves=tuple(curves), warnings=warnings)


def choose_ratios(model, result: Sensitivity, target: str,
                  keep_fraction: float, criterion: Optional[str] = None,
                  tied: Optional[str] = None,
                  unsupported: str = surgery.UNSUPPORTED_SKIP
                  ) -> Choice:
  """Greedily picks per-group ratios so the model costs <= keep_fraction.

  From all ratios 0, each step moves one group to its next candidate ratio:
  the step with the least increase of predicted accuracy drop (base accuracy
  minus the group's own accuracy, clipped at 0, summed over groups) per unit
  of cost saved, the loss increase per unit saved breaking ties. Steps are
  ranked by each group's own saving; the FLOPs target is checked with the real
  FLOPs of `surgery.plan` (neighbouring groups make savings
  non-additive), the latency target with the sum of per-group savings.

  Args:
    model: the model `result` was measured on.
    result: from `sensitivity`.
    target: TARGET_FLOPS or TARGET_LATENCY.
    keep_fraction: in (0, 1]; the most the chosen model may cost, as a
      fraction of the original.
    criterion / tied: plan options; None takes those of `result`.
    unsupported: passed to surgery.plan.

  Returns:
    The Choice.

  Raises:
    CompressionConfigError: a bad argument, a latency target without latency
      measurements, or a target not reachable with the candidate ratios.
  """
  if target not in TARGETS:
    raise CompressionConfigError(
        f"target must be one of {list(TARGETS)}; got {target!r}")
  if isinstance(keep_fraction, bool) or not isinstance(
      keep_fraction, numbers.Real) or not 0 < keep_fraction <= 1:
    raise CompressionConfigError(
        f"keep_fraction must be a number in (0, 1]; got {keep_fraction!r}")
  flops = target == TARGET_FLOPS
  if not flops and result.base_latency is None:
    raise CompressionConfigError(
        "target 'latency' needs latency measurements; the sensitivity result "
        "has none (base_latency=None): run sensitivity with latency_fn")
  criterion, tied = criterion or result.criterion, tied or result.tied
  curves = [c for c in result.curves if c.points]
  base = float(result.base_flops if flops else result.base_latency)

  def level(i, k):  # (drop, loss, cost) of curve i at its k-th point (0: none)
    if k == 0:
      return 0.0, result.base_loss, base
    p = curves[i].points[k - 1]
    return (max(0.0, result.base_accuracy - p.accuracy), p.loss,
            float(p.flops if flops else p.latency))

  def ratios_of(state):
    return {p: curves[i].points[k - 1].ratio for i, k in enumerate(state)
            if k for p in curves[i].producers}

  def fraction(state):
    if flops:
      channel_plan = surgery.plan(model, ratios_of(state), criterion,
                                          tied, unsupported)
      return channel_plan.flops_after / channel_plan.flops_before
    return (base + sum(level(i, k)[2] - base for i, k in enumerate(state))
            ) / base

  def rank(i, k):
    (drop0, loss0, cost0), (drop1, loss1, cost1) = level(i, k), level(i, k + 1)
    saved = cost0 - cost1
    if saved <= 0:
      return (math.inf, math.inf, i)
    return ((drop1 - drop0) / saved, (loss1 - loss0) / saved, i)

  state = [0] * len(curves)
  cost_fraction, steps = fraction(state), []
  drop = 0.0
  while cost_fraction > keep_fraction + _EPS:
    options = [rank(i, k) for i, k in enumerate(state)
               if k < len(curves[i].points)]
    if not options:
      raise CompressionConfigError(
          f"keep_fraction {keep_fraction} cannot be reached for target "
          f"{target!r}: with every analysed group at its largest candidate "
          f"ratio the {target} fraction is {cost_fraction:.3f}; ask for "
          f"keep_fraction >= {cost_fraction:.3f}, or give larger "
          "candidate_ratios or more layers to sensitivity")
    i = min(options)[2]
    state[i] += 1
    cost_fraction = fraction(state)
    drop = sum(level(j, k)[0] for j, k in enumerate(state))
    steps.append(Step(curves[i].producers, curves[i].points[state[i] - 1].ratio,
                      drop, cost_fraction))
  return Choice(target=target, keep_fraction=float(keep_fraction),
                ratios=ratios_of(state), predicted_accuracy_drop=drop,
                predicted_cost_fraction=float(cost_fraction),
                steps=tuple(steps))
