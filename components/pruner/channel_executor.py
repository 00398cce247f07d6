"""The Pruner executor's channel-pruning branch: prune (channel_runner),
publish the SavedModel with its serving signature re-created, report."""

import os
from typing import Any, Dict

from tfx_compression.framework import artifact_io
from tfx_compression.framework import properties
from tfx_compression.fine_tuning import executor as tuning_executor
from tfx_compression.fine_tuning import run_record

# Serialized eval examples the re-created serving signature is checked on.
NUM_SIGNATURE_CHECK_EXAMPLES = 64


def prune_and_export(config, run):
  """Runs channel pruning and exports the smaller model into `run.output`.

  The smaller model cannot take the original's weights, so its
  `serving_default` is re-created from the original's (same inputs, e.g.
  serialized tf.Examples, and outputs) and checked on real examples.

  Args:
    config: The `PrunerConfig`.
    run: The `fine_tuning.executor.FineTuningRun`.

  Returns:
    A `fine_tuning.executor.FineTuned` (report, history, summary).
  """
  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.data import examples_io
  from tfx_compression.lib.data import feature_space
  from tfx_compression.lib.keras import serving_signature
  from tfx_compression.pruner import channel_runner
  loaded = run.loaded
  result = channel_runner.prune(loaded.keras_model, config, run.data,
                                run.model_run.uri)
  serialized = examples_io.read_serialized(
      artifact_io.split_files(run.examples, config.fine_tuning.eval_split),
      NUM_SIGNATURE_CHECK_EXAMPLES)
  transform = run.transform_dir
  serving_signature.save_with_rebuilt_signature(
      result.model, loaded,
      os.path.join(run.output.uri, artifact_io.SERVING_DIR), serialized,
      feature_space.transform_layer(transform) if transform and not set(
          loaded.function.input_specs) <= set(
              loaded.info.serving_features or ()) else None)
  report = dict(report_of(config, run, result),
                **run_record.report_entries(result))
  _set_properties(run.output, config, report)
  run_record.set_properties(run.output, result)
  run_record.set_trust_property(run.output, config.trust_model_code)
  return tuning_executor.FineTuned(
      report, result.history,
      f"FLOPs x{report['flops_ratio']:.3f}, params "
      f"x{report['params_ratio']:.3f}, float TFLite "
      f"{report['float_tflite_speedup']:.2f}x faster")


def report_of(config, run, result) -> Dict[str, Any]:
  plan = result.plan
  return {
      **tuning_executor.report_head(config, run),
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
  run_record.set_keras_model_properties(artifact, report["eval_after"])
  artifact.set_string_custom_property(properties.GRANULARITY,
                                      config.granularity.value)
  artifact.set_float_custom_property(properties.PARAMS_RATIO,
                                     report["params_ratio"])
  artifact.set_float_custom_property(properties.FLOPS_RATIO,
                                     report["flops_ratio"])
  artifact.set_float_custom_property(properties.LATENCY_SPEEDUP,
                                     report["float_tflite_speedup"])
