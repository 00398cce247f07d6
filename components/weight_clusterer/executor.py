"""WeightClusterer executor: artifacts in, a clustered signature-preserving Model out."""

import json
import os
from typing import Any, Dict, List

from absl import logging
from tfx.dsl.components.base import base_executor

from tfx_compression import artifact_io
from tfx_compression import fine_tuning_record
from tfx_compression import properties
from tfx_compression.fine_tuning import data as tuning_data
from tfx_compression.fine_tuning import spec as tuning_spec
from tfx_compression.weight_clusterer import spec
from tfx_compression.weight_clusterer.config import WeightClustererConfig


class Executor(base_executor.BaseExecutor):
  """Clusters the input model with tfmot and exports it with its signatures."""

  def Do(self, input_dict: Dict[str, List[Any]],
         output_dict: Dict[str, List[Any]],
         exec_properties: Dict[str, Any]) -> None:
    # pylint: disable=g-import-not-at-top
    from tfx_compression.fine_tuning import io as tuning_io
    from tfx_compression.lib import model_loading
    from tfx_compression.weight_clusterer import runner

    self._log_startup(input_dict, output_dict, exec_properties)
    config = WeightClustererConfig.from_exec_properties(exec_properties)
    component = "WeightClusterer"
    with tuning_data.fine_tuning_run(input_dict, output_dict,
                                     spec.CLUSTERED_MODEL_KEY,
                                     component) as run:
      source_dir, output, model_run = run.source_dir, run.output, run.model_run
      loaded = model_loading.load_for_training(
          source_dir, component, config.model_fn, config.module_file,
          config.trust_model_code)
      data = tuning_data.load(input_dict, config.fine_tuning, loaded,
                              config.input_fn, config.module_file)
      reproduced = tuning_io.check_input_model(loaded, data)
      result = runner.cluster(loaded.keras_model, config, data, model_run.uri)
      export_diff = tuning_io.export_with_original_signatures(
          result.stripped_model, loaded, source_dir,
          os.path.join(output.uri, artifact_io.SERVING_DIR), data,
          config.trust_model_code)
      report = dict(
          source_model=run.source.uri, config=config.to_dict(),
          data=data.source, number_of_clusters=config.number_of_clusters,
          clustered_layers=result.selection.selected,
          kernel_unique_values=result.unique_values,
          skipped_layers=result.selection.skipped,
          fine_tuning={"steps": result.steps,
                       "learning_rate": result.learning_rate},
          eval_before=dict(result.eval_before),
          eval_after=dict(result.eval_after),
          weights_gzip_bytes_before=result.weights_gzip_before,
          weights_gzip_bytes_after=result.weights_gzip_after,
          **fine_tuning_record.report_entries(result),
          **tuning_io.report(loaded, data, reproduced, export_diff,
                             config.trust_model_code))
      artifact_io.write_report(output.uri, report)
      artifact_io.write_json(
          os.path.join(model_run.uri, tuning_spec.HISTORY_FILE),
          result.history)
      _set_properties(output, config, result)
      fine_tuning_record.set_properties(output, result)
      tuning_io.set_trust_property(output, config.trust_model_code)
    logging.info("WeightClusterer wrote %s: %d clusters in %s", output.uri,
                 config.number_of_clusters, result.selection.selected)


def _set_properties(artifact, config, result) -> None:
  artifact.set_string_custom_property(properties.MODEL_FORMAT,
                                      properties.FORMAT_KERAS_SAVED_MODEL)
  # What the QuantizationAwareTrainer reads to preserve the clusters.
  artifact.set_int_custom_property(properties.WEIGHT_CLUSTERS,
                                   config.number_of_clusters)
  artifact.set_string_custom_property(properties.CLUSTERED_LAYERS,
                                      json.dumps(result.selection.selected))
  artifact.set_int_custom_property(properties.WEIGHTS_GZIP_BYTES,
                                   result.weights_gzip_after)
  for key, value in result.eval_after.items():
    artifact.set_float_custom_property(f"eval_{key}", value)
