"""Pruner executor: artifacts in, a sparse signature-preserving Model out."""

import json
import os
from typing import Any, Dict, List

from absl import logging
from tfx.dsl.components.base import base_executor

from tfx_compression import artifact_io
from tfx_compression import properties
from tfx_compression.fine_tuning import data as tuning_data
from tfx_compression.fine_tuning import spec as tuning_spec
from tfx_compression.pruner import channel_export
from tfx_compression.pruner import spec
from tfx_compression.pruner.config import Granularity
from tfx_compression.pruner.config import PrunerConfig



class Executor(base_executor.BaseExecutor):
  """Prunes the input model with tfmot and exports it with its signatures."""

  def Do(self, input_dict: Dict[str, List[Any]],
         output_dict: Dict[str, List[Any]],
         exec_properties: Dict[str, Any]) -> None:
    # pylint: disable=g-import-not-at-top
    from tfx_compression.fine_tuning import io as tuning_io
    from tfx_compression.lib import model_loading
    from tfx_compression.pruner import runner

    self._log_startup(input_dict, output_dict, exec_properties)
    config = PrunerConfig.from_json(exec_properties[spec.CONFIG_KEY])
    with tuning_data.fine_tuning_run(input_dict, output_dict,
                                     spec.PRUNED_MODEL_KEY, "Pruner") as run:
      source_dir, output, model_run = run.source_dir, run.output, run.model_run
      loaded = model_loading.load_for_training(
          source_dir, "Pruner", config.model_fn, config.module_file,
          config.trust_model_code)
      data = tuning_data.load(input_dict, config.fine_tuning, loaded,
                              config.input_fn, config.module_file)
      reproduced = tuning_io.check_input_model(loaded, data)
      if config.granularity is Granularity.CHANNEL:
        channel_export.prune_and_export(loaded, config, data, input_dict,
                                        run)
        return
      result = runner.prune(loaded.keras_model, config, data, model_run.uri)
      export_dir = os.path.join(output.uri, artifact_io.SERVING_DIR)
      export_diff = tuning_io.export_with_original_signatures(
          result.stripped_model, loaded, source_dir, export_dir, data,
          config.trust_model_code)
      report = dict(_report(config, run.source.uri, data.source, result),
                    **tuning_io.report(loaded, data, reproduced,
                                       export_diff,
                                       config.trust_model_code))
      artifact_io.write_report(output.uri, report)
      artifact_io.write_json(
          os.path.join(model_run.uri, tuning_spec.HISTORY_FILE),
          result.history)
      _set_properties(output, config, result, report)
      tuning_io.set_trust_property(output, config.trust_model_code)
    logging.info("Pruner wrote %s: sparsity %.3f of pruned layers",
                 output.uri, report["pruned_layers_sparsity"])


def _report(config, source_uri, data_source, result) -> Dict[str, Any]:
  pruned = [l for l in result.layers if l.pruned]
  params = sum(l.params for l in pruned)
  return {
      "source_model": source_uri,
      "config": config.to_dict(),
      "data": data_source,
      "target_sparsity": config.target_sparsity,
      "pruned_layers_sparsity": (sum(l.zeros for l in pruned) / params
                                 if params else 0.0),
      "layers": [dict(vars(l), sparsity=l.sparsity) for l in result.layers],
      "skipped_layers": result.selection.skipped,
      "m_by_n_violations": result.m_by_n_violations,
      "fine_tuning": {"steps": result.steps, "end_step": result.end_step,
                      "learning_rate": result.learning_rate},
      "eval_before": dict(result.eval_before),
      "eval_after": dict(result.eval_after),
      "weights_gzip_bytes_before": result.weights_gzip_before,
      "weights_gzip_bytes_after": result.weights_gzip_after,
  }


def _set_properties(artifact, config, result, report) -> None:
  artifact.set_string_custom_property(properties.MODEL_FORMAT,
                                      properties.FORMAT_KERAS_SAVED_MODEL)
  artifact.set_string_custom_property(properties.GRANULARITY,
                                      config.granularity.value)
  artifact.set_float_custom_property(properties.TARGET_SPARSITY,
                                     config.target_sparsity)
  artifact.set_float_custom_property(properties.PRUNED_LAYERS_SPARSITY,
                                     report["pruned_layers_sparsity"])
  artifact.set_string_custom_property(properties.PRUNED_LAYERS,
                                      json.dumps(result.selection.selected))
  artifact.set_int_custom_property(properties.WEIGHTS_GZIP_BYTES,
                                   result.weights_gzip_after)
  for key, value in result.eval_after.items():
    artifact.set_float_custom_property(f"eval_{key}", value)
