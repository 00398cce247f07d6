"""PostTrainingQuantizer executor: sample, quantize, validate, write artifacts."""

import json
import os
from typing import Any, Dict

from tfx.dsl.components.base import base_beam_executor
from tfx.types import artifact_utils

from tfx_compression.framework import spec_channels
from tfx_compression.framework import artifact_io
from tfx_compression.framework import conversion_artifacts
from tfx_compression.framework import properties
from tfx_compression.framework import step_executor
from tfx_compression.framework import tflite_artifact
from tfx_compression.errors import CompressionConfigError
from tfx_compression.errors import InputMismatchError
from tfx_compression.errors import ModelValidationError
from tfx_compression.lib.options.quantization import needs_calibration
from tfx_compression.post_training_quantizer import spec
from tfx_compression.post_training_quantizer.config import PostTrainingQuantizerConfig

_TF_EXAMPLE = "FORMAT_TF_EXAMPLE"


class Executor(step_executor.StepExecutor,
               base_beam_executor.BaseBeamExecutor):
  """Samples calibration examples with Beam, quantizes, validates, reports."""

  COMPONENT = "PostTrainingQuantizer"
  CONFIG = PostTrainingQuantizerConfig

  def run(self, config, inputs, outputs) -> str:
    from tfx_compression.post_training_quantizer import runner  # pylint: disable=g-import-not-at-top
    source, examples = inputs[spec_channels.MODEL_KEY], inputs.get(spec_channels.EXAMPLES_KEY)
    output = outputs[spec.QUANTIZED_MODEL_KEY]
    artifact_io.keras_dir(source.uri, self.COMPONENT)
    if examples is None and needs_calibration(config.mode):
      raise CompressionConfigError(
          f"mode {config.mode.value!r} needs calibration examples; the "
          "examples input is empty.")
    prepared = conversion_artifacts.prepare(
        source.uri, examples, inputs.uri(spec_channels.TRANSFORM_GRAPH_KEY),
        config.inputs, config.validation_split,
        config.num_validation_examples, self.COMPONENT)
    calibration, stats = self._calibration_inputs(
        config, examples, prepared.source.space,
        outputs[spec.CALIBRATION_EXAMPLES_KEY])
    try:
      quantized = runner.quantize(prepared, config, calibration)
    except ModelValidationError as e:
      # Rejected (step_executor): the per-layer errors stay as evidence.
      if e.evidence.get("debug") is not None:
        _write_layer_errors(output.uri, e.evidence["debug"])
      if e.evidence.get("search") is not None:
        _write_search(output.uri, e.evidence["search"])
      raise ModelValidationError(f"{str(e).rstrip('.')}{_TO_TRY}",
                                 e.evidence) from e
    result, serving = quantized.result, quantized.serving
    tflite_inputs = prepared.source.inputs
    tflite_artifact.publish(output, result.conversion, tflite_inputs, serving)
    if result.debug is not None:
      _write_layer_errors(output.uri, result.debug)
    if result.search is not None:
      _write_search(output.uri, result.search)
    if result.tensor_validation:
      _write_csv(os.path.join(output.uri, spec.TENSOR_VALIDATION_CSV),
                 result.tensor_validation)
    report = dict(_report(config, source.uri, result, stats),
                  **tflite_artifact.report(result.conversion, tflite_inputs,
                                           serving),
                  inputs_from=prepared.source.space.description,
                  source_saved_with=prepared.loaded.info.saved_with)
    artifact_io.write_report(output.uri, report)
    _set_model_properties(output, config, result)
    summary = f"wrote {output.uri}: {report['summary']}"
    if result.search is not None:
      summary += "; " + _search_line(result.search)
    return summary

  def _calibration_inputs(self, config, examples, space, sample):
    """Samples the calibration splits into `sample`; returns inputs and stats."""
    # pylint: disable=g-import-not-at-top
    from tfx_compression.lib.quantization import calibration_sampling
    from tfx_compression.post_training_quantizer import runner
    # pylint: enable=g-import-not-at-top
    sample.split_names = artifact_utils.encode_split_names([])
    sample.set_int_custom_property(properties.CALIBRATION_EXAMPLES, 0)
    if not needs_calibration(config.mode):
      return None, None
    _check_payload_format(examples)
    inputs, stats = runner.sample_calibration(
        [f for split in config.calibration_splits
         for f in artifact_io.split_files(examples, split)],
        f"split(s) {list(config.calibration_splits)} of Examples "
        f"{examples.uri}", space, config,
        os.path.join(sample.uri, f"Split-{spec.CALIBRATION_SPLIT}"),
        os.path.join(sample.uri, calibration_sampling.STATS_FILE),
        self._make_beam_pipeline, self._beam_pipeline_args)
    _set_sample_properties(sample, examples, config, stats)
    return inputs, stats


# What a user can change when the quantized model fails validation.
_TO_TRY = (
    ". To try: keep the layers with the largest error in "
    f"{spec.LAYER_ERRORS_CSV} float (ptq_config.float_layers), let the "
    "quantizer keep the worst layers float (ptq_config.max_auto_float_layers), "
    "state the accepted drop and let it search per-layer precision "
    "(ptq_config.accuracy_budget), or accept less agreement "
    "(ptq_config.min_argmax_agreement).")


def _write_layer_errors(uri: str, debug) -> None:
  from tfx_compression.lib.quantization import layer_errors  # pylint: disable=g-import-not-at-top
  artifact_io.write_bytes(os.path.join(uri, spec.LAYER_ERRORS_CSV),
                          layer_errors.layer_report_csv(debug).encode())
  artifact_io.write_bytes(os.path.join(uri, spec.LAYER_ERRORS_JSON), json.dumps(
      layer_errors.layer_report_json(debug), indent=2).encode())


def _write_search(uri: str, search) -> None:
  from tfx_compression.lib.quantization import budget_search  # pylint: disable=g-import-not-at-top
  artifact_io.write_bytes(os.path.join(uri, spec.SEARCH_TRACE_CSV),
                          budget_search.trace_csv(search).encode())
  artifact_io.write_bytes(os.path.join(uri, spec.SEARCH_TRACE_JSON),
                          json.dumps(search.to_json(), indent=2).encode())


def _write_csv(path: str, rows) -> None:
  import csv  # pylint: disable=g-import-not-at-top
  import io  # pylint: disable=g-import-not-at-top
  out = io.StringIO()
  writer = csv.DictWriter(out, list(rows[0]), lineterminator="\n")
  writer.writeheader()
  writer.writerows(rows)
  artifact_io.write_bytes(path, out.getvalue().encode())


def _search_line(search) -> str:
  chosen = search.chosen
  verdict = ("met" if search.budget_met else
             "MISSED (the closest configuration was kept; see "
             f"{spec.SEARCH_TRACE_CSV}, and raise ptq_config.accuracy_budget, "
             "ptq_config.max_search_conversions or "
             "ptq_config.max_auto_float_layers)")
  return (f"accuracy budget {search.budget:g} ({search.metric_name}) {verdict}"
          f": {chosen.name!r}, drop {chosen.drop:.4g}, after "
          f"{len(search.steps)} conversions")


def _check_payload_format(examples) -> None:
  from tfx.components.util import examples_utils  # pylint: disable=g-import-not-at-top
  payload = examples_utils.get_payload_format_string(examples)
  if payload != _TF_EXAMPLE:
    raise InputMismatchError(
        f"Examples {examples.uri} have payload_format {payload!r}; allowed: "
        f"{_TF_EXAMPLE!r} (tf.Example records).")


def _set_sample_properties(sample, examples, config, stats) -> None:
  from tfx.components.util import examples_utils  # pylint: disable=g-import-not-at-top
  from tfx.proto import example_gen_pb2  # pylint: disable=g-import-not-at-top
  sample.split_names = artifact_utils.encode_split_names(
      [spec.CALIBRATION_SPLIT])
  sample.span = examples.span
  examples_utils.set_payload_format(
      sample, example_gen_pb2.PayloadFormat.FORMAT_TF_EXAMPLE)
  examples_utils.set_file_format(sample, "tfrecords_gzip")
  sample.set_int_custom_property(properties.CALIBRATION_EXAMPLES,
                                 stats.sampled)
  sample.set_int_custom_property(properties.POPULATION_EXAMPLES,
                                 stats.population)
  sample.set_string_custom_property(properties.SAMPLING_STRATEGY,
                                    config.sampling.value)
  sample.set_int_custom_property(properties.SAMPLING_SEED, config.seed)


def _report(config, source_uri, result, stats) -> Dict[str, Any]:
  conversion = result.conversion
  debug = result.debug
  return {
      "source_model": source_uri,
      "config": config.to_dict(),
      "float_size_bytes": result.float_size_bytes,
      "size_ratio": result.size_ratio,
      # Constant tensors only: what quantization shrinks.
      "weight_bytes": result.weight_bytes,
      "float_weight_bytes": result.float_weight_bytes,
      "calibration": None if stats is None else {
          "splits": list(config.calibration_splits),
          "sampling": config.sampling.value, "seed": config.seed,
          "examples": stats.sampled, "population": stats.population,
          "sample_by_label": stats.sample_by_label,
          "population_by_label": stats.population_by_label},
      "float_layers": None if debug is None else {
          "float_nodes": debug.float_nodes, "float_ops": debug.float_ops,
          "decisions": [vars(d) for d in debug.decisions],
          "initial_relative_output_error": debug.initial_relative_output_error,
          "relative_output_error": debug.relative_output_error,
          "error_budget": debug.error_budget, "budget_met": debug.budget_met,
          "layer_report": spec.LAYER_ERRORS_CSV},
      "backend": result.backend.value,
      "accuracy_budget": None if result.search is None else dict(
          {k: v for k, v in result.search.to_json().items() if k != "steps"},
          trace=spec.SEARCH_TRACE_CSV, summary=_search_line(result.search)),
      "tensor_validation": (spec.TENSOR_VALIDATION_CSV
                            if result.tensor_validation else None),
  }


def _set_model_properties(artifact, config, result) -> None:
  artifact.set_string_custom_property(properties.QUANTIZATION_MODE,
                                      config.mode.value)
  artifact.set_int_custom_property(properties.FLOAT_SIZE_BYTES,
                                   result.float_size_bytes)
  artifact.set_float_custom_property(properties.SIZE_RATIO, result.size_ratio)
  artifact.set_int_custom_property(properties.CALIBRATION_EXAMPLES,
                                   result.num_calibration_examples)
  artifact.set_string_custom_property(properties.QUANTIZATION_BACKEND,
                                      result.backend.value)
  if result.search is not None:
    artifact.set_int_custom_property(properties.ACCURACY_BUDGET_MET,
                                     int(result.search.budget_met))
    artifact.set_float_custom_property(properties.SEARCH_METRIC_DROP,
                                       result.search.chosen.drop)
  if result.debug is not None:
    artifact.set_string_custom_property(
        properties.FLOAT_NODES, json.dumps(result.debug.float_nodes))
    artifact.set_float_custom_property(properties.RELATIVE_OUTPUT_ERROR,
                                       result.debug.relative_output_error)
