"""Pruner executor: artifacts in, a sparse signature-preserving Model out."""

import json
from typing import Any, Dict

from tfx_compression.framework import properties
from tfx_compression.fine_tuning import executor as tuning_executor
from tfx_compression.fine_tuning import run_record
from tfx_compression.pruner import channel_executor
from tfx_compression.pruner.config import Granularity
from tfx_compression.pruner.config import PrunerConfig


class Executor(tuning_executor.FineTuningExecutor):
  """Prunes the input model with tfmot and exports it with its signatures."""

  COMPONENT = "Pruner"
  CONFIG = PrunerConfig

  def fine_tune(self, config, run) -> tuning_executor.FineTuned:
    if config.granularity is Granularity.CHANNEL:
      return channel_executor.prune_and_export(config, run)
    # pylint: disable=g-import-not-at-top
    from tfx_compression.pruner import runner
    result = runner.prune(run.loaded.keras_model, config, run.data,
                          run.model_run.uri)
    export_diff = run.export(result.stripped_model)
    report = dict(_report(config, run, result), **run.model_report(export_diff),
                  **run_record.report_entries(result))
    _set_properties(run.output, config, result, report)
    run_record.set_properties(run.output, result)
    run_record.set_trust_property(run.output, config.trust_model_code)
    return tuning_executor.FineTuned(
        report, result.history,
        f"sparsity {report['pruned_layers_sparsity']:.3f} of pruned layers")


def _report(config, run, result) -> Dict[str, Any]:
  pruned = [l for l in result.layers if l.pruned]
  params = sum(l.params for l in pruned)
  return {
      **tuning_executor.report_head(config, run),
      "target_sparsity": config.target_sparsity,
      "pruned_layers_sparsity": (sum(l.zeros for l in pruned) / params
                                 if params else 0.0),
      "layers": [dict(vars(l), sparsity=l.sparsity) for l in result.layers],
      "skipped_layers": result.selection.skipped,
      "allocation": {"kind": config.allocation.value,
                     "layer_targets": result.layer_targets},
      "m_by_n_violations": result.m_by_n_violations,
      "fine_tuning": {"steps": result.steps, "end_step": result.end_step,
                      "learning_rate": result.learning_rate},
      "eval_before": dict(result.eval_before),
      "eval_after": dict(result.eval_after),
      "weights_gzip_bytes_before": result.weights_gzip_before,
      "weights_gzip_bytes_after": result.weights_gzip_after,
  }


def _set_properties(artifact, config, result, report) -> None:
  run_record.set_keras_model_properties(artifact, result.eval_after)
  artifact.set_string_custom_property(properties.GRANULARITY,
                                      config.granularity.value)
  artifact.set_float_custom_property(properties.TARGET_SPARSITY,
                                     config.target_sparsity)
  artifact.set_float_custom_property(properties.PRUNED_LAYERS_SPARSITY,
                                     report["pruned_layers_sparsity"])
  artifact.set_string_custom_property(properties.PRUNED_LAYERS,
                                      json.dumps(result.selection.selected))
  artifact.set_string_custom_property(properties.PRUNING_POLICY,
                                      config.policy.value)
  artifact.set_string_custom_property(properties.ALLOCATION,
                                      config.allocation.value)
  artifact.set_string_custom_property(properties.LAYER_SPARSITY, json.dumps(
      {l.name: round(l.sparsity, 4) for l in result.layers if l.pruned}))
  artifact.set_int_custom_property(properties.WEIGHTS_GZIP_BYTES,
                                   result.weights_gzip_after)
