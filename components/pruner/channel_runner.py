"""The Pruner's channel granularity: choose ratios, cut channels, fine-tune, measure."""

import dataclasses
from typing import Any, Dict, List, Mapping, Optional, Union

import numpy as np

from tfx_compression.lib.channels import groups
from tfx_compression.lib.channels import surgery as channel_surgery
from tfx_compression.lib.training import fit_loop
from tfx_compression.lib.keras import layer_selection
from tfx_compression.lib.keras import model_cost
from tfx_compression.pruner.channel_config import ChannelPruning
from tfx_compression.pruner.channel_config import CostTarget
from tfx_compression.pruner.config import PrunerConfig


@dataclasses.dataclass
class ChannelResult:
  """The smaller fine-tuned model and everything measured on the way."""

  model: Any
  plan: channel_surgery.ChannelPlan
  ratios: Union[float, Mapping[str, float]]
  sensitivity: Optional[Dict[str, Any]]
  layers: List[Dict[str, Any]]
  eval_before: Mapping[str, float]
  eval_pruned: Mapping[str, float]  # after the surgery, before fine-tuning
  eval_after: Mapping[str, float]
  latency_before_us: float
  latency_after_us: float
  history: Dict[str, List[float]]
  steps: int
  learning_rate: float
  distillation: Any = None  # distillation.Plan
  fit_seconds: float = 0.0
  replicas: int = 1  # devices fine-tuning ran on in sync (distribution)


def float_tflite_latency_us(model, runs: int) -> float:
  """Median batch-1 latency of `model` as float TFLite, 1 thread, XNNPACK."""
  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.tflite import benchmark
  from tfx_compression.lib.conversion import tflite_converter
  return benchmark.measure_latency(
      tflite_converter.convert_keras(model), num_threads=1, batch_size=1,
      warmup_runs=max(5, runs // 5), runs=runs).median_us


def eligible_producers(model, config: PrunerConfig) -> Optional[List[str]]:
  """Producers the selection lets shrink; None when it allows all of them.

  A tied group shrinks only if every one of its producers is selected.
  """
  selection = config.selection
  if selection == type(selection)():
    return None
  chosen = {l.name for l in layer_selection.chosen_layers(model, selection)}
  producers = groups.producers(model)
  if selection.keep_first_and_last and producers:
    chosen -= {producers[0], producers[-1]}
  return [p for p in producers if p in chosen]


def _ratios(model, channels: ChannelPruning, eligible, data, options):
  """The ratios to plan with, and the sensitivity figures when automatic."""
  if channels.layer_ratios:
    return channels.ratios_by_layer, None
  if channels.ratio is not None:
    if eligible is None:
      return channels.ratio, None
    return _group_ratios(model, eligible, channels.ratio, options), None
  from tfx_compression.lib.channels import sensitivity as channel_sensitivity  # pylint: disable=g-import-not-at-top
  auto = channels.auto
  inputs, labels = _sample(data.eval, auto.num_examples)
  latency_fn = None
  if auto.target is CostTarget.LATENCY:
    latency_fn = lambda m: float_tflite_latency_us(m, channels.latency_runs)
  result = channel_sensitivity.sensitivity(
      model, inputs, labels, candidate_ratios=auto.candidate_ratios,
      producers=eligible, latency_fn=latency_fn, **options)
  choice = channel_sensitivity.choose_ratios(
      model, result, target=auto.target.value,
      keep_fraction=auto.keep_fraction, **options)
  return dict(choice.ratios), {"sensitivity": dataclasses.asdict(result),
                               "choice": dataclasses.asdict(choice)}


def _group_ratios(model, eligible, ratio, options) -> Dict[str, float]:
  """`ratio` for every prunable group whose producers are all eligible."""
  topology = groups.analyze(model, tied=options["tied"])
  allowed = set(eligible)
  return {p: ratio for g in topology.groups
          if g.prunable and set(g.producers) <= allowed for p in g.producers}


def _sample(eval_ds, num_examples: int):
  """Up to `num_examples` (features, labels) from a batched eval dataset."""
  features, labels = {}, []
  count = 0
  for batch_features, batch_labels in eval_ds:
    for key, value in batch_features.items():
      features.setdefault(key, []).append(np.asarray(value))
    labels.append(np.asarray(batch_labels))
    count += len(labels[-1])
    if count >= num_examples:
      break
  return ({k: np.concatenate(v)[:num_examples] for k, v in features.items()},
          np.concatenate(labels)[:num_examples].reshape(-1))


def _layers(model, small) -> List[Dict[str, Any]]:
  """Channels, params and FLOPs of every layer that has a cost, before/after."""
  before, after = model_cost.cost(model), model_cost.cost(small)
  out_channels = lambda m, name: int(m.get_layer(name).output.shape[-1])
  rows = []
  for layer in before.layers:
    if not (layer.params or layer.flops):
      continue
    new = after.layer(layer.name)
    rows.append({"name": layer.name, "type": layer.type,
                 "channels_before": out_channels(model, layer.name),
                 "channels_after": out_channels(small, layer.name),
                 "params_before": layer.params, "params_after": new.params,
                 "flops_before": layer.flops, "flops_after": new.flops})
  return rows


def prune(model, config: PrunerConfig, data, log_dir: str) -> ChannelResult:
  """Removes channels from `model` (compiled, left unchanged) and fine-tunes.

  The surgery runs outside any strategy; under `fine_tuning.distribution`
  the smaller model is fine-tuned in the strategy's scope on a copy, and
  comes back out of it with the same layers.

  Raises:
    CompressionConfigError: bad ratios or layer names for this model.
    UnsupportedModelError: a channel group the surgery cannot follow, with
      channels.unsupported 'error'.
  """
  import tf_keras  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.training import distribution  # pylint: disable=g-import-not-at-top
  channels, tuning = config.channels, config.fine_tuning
  options = {"criterion": channels.criterion.value,
             "tied": channels.tied_groups.value,
             "unsupported": channels.unsupported.value}
  fit_loop.compile_like(model, model, tuning.learning_rate, tuning.learning_rate_scale,
                  tuning.loss)
  eval_before = fit_loop.evaluate(model, data.eval)
  latency_before = float_tflite_latency_us(model, channels.latency_runs)
  ratios, sensitivity = _ratios(model, channels,
                                eligible_producers(model, config), data,
                                options)
  plan = channel_surgery.plan(model, ratios, **options)
  small = channel_surgery.apply(model, plan)
  with distribution.scope(tuning.distribution) as strategy:
    # Surgery ran outside the strategy; the fine-tuning runs on copies in it.
    student = distribution.adopt(small, strategy)
    rate = fit_loop.compile_like(student, model, tuning.learning_rate,
                                 tuning.learning_rate_scale, tuning.loss)
    eval_pruned = fit_loop.evaluate(student, data.eval)
    distill = fit_loop.distillation_plan(model, tuning)
    teacher = fit_loop.teacher_for(model, distill, data.eval)  # a copy in it
    fit = fit_loop.fit_taught(student, model, teacher, distill, rate, tuning,
                              data, [tf_keras.callbacks.TensorBoard(log_dir)])
  if strategy is not None:
    small = distribution.adopt(student, strategy)  # out of the scope
    fit_loop.compile_like(small, model, rate, 1.0, tuning.loss)
  return ChannelResult(
      model=small, plan=plan, ratios=ratios, sensitivity=sensitivity,
      layers=_layers(model, small), eval_before=eval_before,
      eval_pruned=eval_pruned, eval_after=fit_loop.evaluate(small, data.eval),
      latency_before_us=latency_before,
      latency_after_us=float_tflite_latency_us(small, channels.latency_runs),
      history=fit.history, steps=fit.steps, learning_rate=rate,
      distillation=distill, fit_seconds=fit.seconds,
      replicas=distribution.replicas(strategy))
