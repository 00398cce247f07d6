"""The Pruner's work on plain objects: select, wrap, fine-tune, strip, measure."""

import dataclasses
from typing import Any, Dict, List, Mapping

from tfx_compression.lib.training import fit_loop
from tfx_compression.lib.sparsity import pruning
from tfx_compression.pruner.config import Allocation
from tfx_compression.pruner.config import Granularity
from tfx_compression.pruner.config import Policy
from tfx_compression.pruner.config import PrunerConfig


@dataclasses.dataclass
class PruneResult:
  stripped_model: Any
  selection: pruning.Selection
  layers: List[pruning.LayerSparsity]
  eval_before: Mapping[str, float]
  eval_after: Mapping[str, float]
  history: Dict[str, List[float]]
  steps: int
  end_step: int
  learning_rate: float
  weights_gzip_before: int
  weights_gzip_after: int
  m_by_n_violations: Dict[str, int]
  distillation: Any = None  # distillation.Plan
  fit_seconds: float = 0.0
  replicas: int = 1  # devices fine-tuning ran on in sync (distribution)
  # Layer -> the sparsity its schedule aims at (allocation).
  layer_targets: Dict[str, float] = dataclasses.field(default_factory=dict)


def _tfmot_schedule(config: PrunerConfig, total_steps: int):
  """(tfmot schedule, end step) for `config` over `total_steps`."""
  import tensorflow_model_optimization as tfmot  # pylint: disable=g-import-not-at-top
  if config.granularity is Granularity.M_BY_N:
    # The m_by_n mask ignores the sparsity level; prune from step 0, and
    # refresh the mask as weights move.
    return tfmot.sparsity.keras.ConstantSparsity(
        config.target_sparsity, begin_step=0,
        frequency=max(1, total_steps // 4)), -1
  schedule, steps = pruning.tfmot_schedule(config.schedule, total_steps)
  return schedule, steps.end_step


def _with_target(schedule, target: float):
  """`schedule` (a config) aiming at `target` instead of its own."""
  if hasattr(schedule, "final_sparsity"):
    return dataclasses.replace(
        schedule, final_sparsity=target,
        initial_sparsity=min(schedule.initial_sparsity, target))
  return dataclasses.replace(schedule, target_sparsity=target)


def layer_targets(model, config: PrunerConfig, selected) -> Dict[str, float]:
  """Layer -> the sparsity it is pruned to, as `config.allocation` shares it."""
  if config.allocation is Allocation.GLOBAL_MAGNITUDE:
    from tfx_compression.lib.sparsity import allocation  # pylint: disable=g-import-not-at-top
    return allocation.global_magnitude(
        {name: pruning.kernel_of(model.get_layer(name)).numpy()
         for name in selected}, config.target_sparsity)
  return {name: config.target_sparsity for name in selected}


def prune(model, config: PrunerConfig, data, log_dir: str) -> PruneResult:
  """Prunes and fine-tunes `model` (a compiled Keras model, modified in place).

  Args:
    model: The loaded baseline; its layers are wrapped and trained, so it
      must not be used afterwards.
    config: The Pruner configuration.
    data: A `tfx_compression.fine_tuning.data.TrainingData`.
    log_dir: TensorBoard directory for PruningSummaries and training curves.

  Returns:
    The stripped model and everything measured on the way.
  """
  import tensorflow_model_optimization as tfmot  # pylint: disable=g-import-not-at-top
  from tensorflow_model_optimization.python.core.sparsity.keras import pruning_wrapper  # pylint: disable=g-import-not-at-top
  m_by_n = config.m_by_n if config.granularity is Granularity.M_BY_N else None
  selection = pruning.select_layers(model, config.selection, m_by_n=m_by_n)
  if config.policy is Policy.XNNPACK:
    from tfx_compression.lib.sparsity import xnnpack_policy  # pylint: disable=g-import-not-at-top
    selection = xnnpack_policy.restrict(model, selection)
  tuning = config.fine_tuning
  total_steps = tuning.epochs * data.steps_per_epoch
  schedule, end_step = _tfmot_schedule(config, total_steps)
  targets = layer_targets(model, config, selection.selected)
  if config.allocation is Allocation.GLOBAL_MAGNITUDE:
    schedule = {name: pruning.tfmot_schedule(
        _with_target(config.schedule, target), total_steps)[0]
                for name, target in targets.items()}
  run = fit_loop.wrap_and_fine_tune(
      model, tuning, data,
      lambda m: pruning.wrap_for_pruning(
          m, selection.selected, schedule, block_size=config.block_size,
          block_pooling=config.block_pooling.tfmot_name, m_by_n=m_by_n),
      pruning_wrapper.PruneLowMagnitude, pruning.strip,
      callbacks=[tfmot.sparsity.keras.UpdatePruningStep(),
                 tfmot.sparsity.keras.PruningSummaries(log_dir=log_dir)])
  stripped = run.stripped
  violations = {}
  if m_by_n:
    violations = {name: pruning.m_by_n_violations(
        pruning.kernel_of(stripped.get_layer(name)).numpy(), m_by_n)
                  for name in selection.selected}
  return PruneResult(
      stripped_model=stripped, selection=selection,
      layers=pruning.layer_sparsity(stripped, selection.selected),
      eval_before=run.eval_before, eval_after=run.eval_after,
      history=run.fit.history, steps=run.fit.steps, end_step=end_step,
      learning_rate=run.learning_rate,
      weights_gzip_before=run.weights_gzip_before,
      weights_gzip_after=run.weights_gzip_after,
      m_by_n_violations=violations, distillation=run.distillation,
      fit_seconds=run.fit.seconds,
      replicas=run.replicas, layer_targets=targets)
