"""Publishing a channel-pruned model: SavedModel with its serving signature, report."""

import os
from typing import Any, Dict

from absl import logging

from tfx_compression import artifact_io
from tfx_compression import fine_tuning_record
from tfx_compression import properties
from tfx_compression.fine_tuning import spec as tuning_spec

# Serialized eval examples the re-created serving signature is checked on.
NUM_SIGNATURE_CHECK_EXAMPLES = 64


def prune_and_export(loaded, config, data, input_dict, run) -> None:
  """Runs channel pruning and publishes the smaller model into `run.output`.

  The smaller model cannot take the original's weights, so its
  `serving_default` is re-created from the original's (same inputs, e.g.
  serialized tf.Examples, and outputs) and checked on real examples.
  """
  # pylint: disable=g-import-not-at-top
  from tfx.types import artifact_utils
  from tfx_compression import conversion_input
  from tfx_compression.lib import examples_io
  from tfx_compression.lib import feature_space
  from tfx_compression.lib import serving_signature
  from tfx_compression.pruner import channel_runner
  result = channel_runner.prune(loaded.keras_model, config, data,
                                run.model_run.uri)
  examples = artifact_utils.get_single_instance(
      input_dict[tuning_spec.EXAMPLES_KEY])
  serialized = examples_io.read_serialized(
      artifact_io.split_files(examples, config.fine_tuning.eval_split),
      NUM_SIGNATURE_CHECK_EXAMPLES)
  transform = conversion_input.transform_dir(input_dict,
                                             tuning_spec.TRANSFORM_GRAPH_KEY)
  serving_signature.save_with_rebuilt_signature(
      result.model, loaded,
      os.path.join(run.output.uri, artifact_io.SERVING_DIR), serialized,
      feature_space.transform_layer(transform) if transform and not set(
          loaded.function.input_specs) <= set(
              loaded.info.serving_features or ()) else None)
  report = dict(report_of(config, run.source.uri, data.source, result),
                **fine_tuning_record.report_entries(result))
  artifact_io.write_report(run.output.uri, report)
  artifact_io.write_json(
      os.path.join(run.model_run.uri, tuning_spec.HISTORY_FILE),
      result.history)
  _set_properties(run.output, config, report)
  fine_tuning_record.set_properties(run.output, result)
  logging.info("Pruner wrote %s: FLOPs x%.3f, params x%.3f, float TFLite "
               "%.2fx faster", run.output.uri, report["flops_ratio"],
               report["params_ratio"], report["float_tflite_speedup"])


def report_of(config, source_uri, data_source, result) -> Dict[str, Any]:
  plan = result.plan
  return {
      "source_model": source_uri,
      "config": config.to_dict(),
      "data": data_source,
      "granularity": "channel",
      "ratios": result.ratios,
      "groups": [{"producers": list(g.producers), "members": list(g.members),
                  "channels_before": g.channels_before,
                  "channels_after": g.channels_after, "ratio": g.ratio}
                 for g in plan.groups],
      "warnings": list(plan.warnings),
      "layers": result.layers,
      "params_before": plan.params_before, "params_after": plan.params_after,
      "params_ratio": plan.params_after / plan.params_before,
      "flops_before": plan.flops_before, "flops_after": plan.flops_after,
      "flops_ratio": plan.flops_after / plan.flops_before,
      "float_tflite_latency_us_before": result.latency_before_us,
      "float_tflite_latency_us_after": result.latency_after_us,
      "float_tflite_speedup": result.latency_before_us / result.latency_after_us,
      "latency_runs": config.channels.latency_runs,
      "sensitivity": result.sensitivity,
      "fine_tuning": {"steps": result.steps,
                      "learning_rate": result.learning_rate},
      "eval_before": dict(result.eval_before),
      "eval_pruned_before_fine_tuning": dict(result.eval_pruned),
      "eval_after": dict(result.eval_after),
  }


def _set_properties(artifact, config, report) -> None:
  artifact.set_string_custom_property(properties.MODEL_FORMAT,
                                      properties.FORMAT_KERAS_SAVED_MODEL)
  artifact.set_string_custom_property(properties.GRANULARITY,
                                      config.granularity.value)
  artifact.set_float_custom_property(properties.PARAMS_RATIO,
                                     report["params_ratio"])
  artifact.set_float_custom_property(properties.FLOPS_RATIO,
                                     report["flops_ratio"])
  artifact.set_float_custom_property(properties.LATENCY_SPEEDUP,
                                     report["float_tflite_speedup"])
  for key, value in report["eval_after"].items():
    artifact.set_float_custom_property(f"eval_{key}", value)
