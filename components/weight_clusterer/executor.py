"""WeightClusterer executor: artifacts in, a clustered signature-preserving Model out."""

import json

from tfx_compression.framework import properties
from tfx_compression.fine_tuning import executor as tuning_executor
from tfx_compression.fine_tuning import run_record
from tfx_compression.weight_clusterer.config import WeightClustererConfig


class Executor(tuning_executor.FineTuningExecutor):
  """Clusters the input model with tfmot and exports it with its signatures."""

  COMPONENT = "WeightClusterer"
  CONFIG = WeightClustererConfig

  def fine_tune(self, config, run) -> tuning_executor.FineTuned:
    # pylint: disable=g-import-not-at-top
    from tfx_compression.weight_clusterer import runner
    result = runner.cluster(run.loaded.keras_model, config, run.data,
                            run.model_run.uri)
    export_diff = run.export(result.stripped_model)
    report = dict(
        tuning_executor.report_head(config, run),
        number_of_clusters=config.number_of_clusters,
        clustered_layers=result.selection.selected,
        kernel_unique_values=result.unique_values,
        preserve_sparsity=result.preserve_sparsity,
        kernel_sparsity_before=result.input_sparsity,
        kernel_sparsity_after=result.output_sparsity,
        skipped_layers=result.selection.skipped,
        fine_tuning={"steps": result.steps,
                     "learning_rate": result.learning_rate},
        eval_before=dict(result.eval_before),
        eval_after=dict(result.eval_after),
        weights_gzip_bytes_before=result.weights_gzip_before,
        weights_gzip_bytes_after=result.weights_gzip_after,
        **run_record.report_entries(result),
        **run.model_report(export_diff))
    _set_properties(run.output, config, result)
    run_record.set_properties(run.output, result)
    run_record.set_trust_property(run.output, config.trust_model_code)
    return tuning_executor.FineTuned(
        report, result.history, f"{config.number_of_clusters} clusters in "
        f"{result.selection.selected}")


def _set_properties(artifact, config, result) -> None:
  run_record.set_keras_model_properties(artifact, result.eval_after)
  # What the QuantizationAwareTrainer reads to preserve the clusters.
  artifact.set_int_custom_property(properties.WEIGHT_CLUSTERS,
                                   config.number_of_clusters)
  artifact.set_string_custom_property(properties.CLUSTERED_LAYERS,
                                      json.dumps(result.selection.selected))
  artifact.set_int_custom_property(properties.WEIGHTS_GZIP_BYTES,
                                   result.weights_gzip_after)
