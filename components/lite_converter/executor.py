"""LiteConverter executor: artifacts in, a validated TFLite Model artifact out."""

import json
from typing import Any, Dict, List

from absl import logging
from tfx.dsl.components.base import base_executor
from tfx.types import artifact_utils

from tfx_compression import artifact_io
from tfx_compression import properties
from tfx_compression.lite_converter import spec
from tfx_compression.lite_converter.config import LiteConverterConfig


class Executor(base_executor.BaseExecutor):
  """Converts the input Keras model to TFLite and validates it on examples."""

  def Do(self, input_dict: Dict[str, List[Any]],
         output_dict: Dict[str, List[Any]],
         exec_properties: Dict[str, Any]) -> None:
    from tfx_compression.lib import keras_io  # pylint: disable=g-import-not-at-top
    from tfx_compression.lib import lite_conversion  # pylint: disable=g-import-not-at-top

    self._log_startup(input_dict, output_dict, exec_properties)
    config = LiteConverterConfig.from_exec_properties(exec_properties)
    source = artifact_utils.get_single_instance(input_dict[spec.MODEL_KEY])
    output = artifact_utils.get_single_instance(
        output_dict[spec.TFLITE_MODEL_KEY])
    examples = input_dict.get(spec.EXAMPLES_KEY) or []

    with artifact_io.cleared_on_failure(output.uri):
      model = keras_io.load_keras_model(
          artifact_io.keras_dir(source.uri, "LiteConverter"))
      inputs = None
      if examples:
        inputs = artifact_io.read_model_inputs(
            artifact_utils.get_single_instance(examples),
            config.validation_split, keras_io.input_specs(model),
            config.num_validation_examples)
      result = lite_conversion.convert_validated(
          model, inputs, optimization=config.optimization,
          op_set=config.op_set,
          min_argmax_agreement=config.min_argmax_agreement)
      artifact_io.write_bytes(artifact_io.tflite_path(output.uri),
                              result.model_bytes)
      report = _report(config, source.uri, result)
      artifact_io.write_report(output.uri, report)
      _set_properties(output, config, result)
    logging.info("LiteConverter wrote %s: %s", output.uri, report["summary"])


def _report(config, source_uri, result) -> Dict[str, Any]:
  return {
      "source_model": source_uri,
      "config": config.to_exec_properties(),
      "summary": vars(result.summary),
      "validation": dict(vars(result.agreement),
                         on_real_examples=result.validated_on_examples),
  }


def _set_properties(artifact, config, result) -> None:
  summary, agreement = result.summary, result.agreement
  artifact.set_string_custom_property(properties.MODEL_FORMAT,
                                      properties.FORMAT_TFLITE)
  artifact.set_string_custom_property(properties.OPTIMIZATION,
                                      config.optimization.value)
  artifact.set_int_custom_property(properties.SIZE_BYTES, summary.size_bytes)
  artifact.set_int_custom_property(properties.GZIP_SIZE_BYTES,
                                   summary.gzip_size_bytes)
  artifact.set_string_custom_property(
      properties.TENSOR_DTYPE_COUNTS, json.dumps(summary.tensor_dtype_counts))
  artifact.set_string_custom_property(properties.INPUT_DTYPES,
                                      json.dumps(summary.input_dtypes))
  artifact.set_string_custom_property(properties.OUTPUT_DTYPES,
                                      json.dumps(summary.output_dtypes))
  artifact.set_int_custom_property(
      properties.VALIDATION_EXAMPLES,
      agreement.num_examples if result.validated_on_examples else 0)
  artifact.set_float_custom_property(properties.VALIDATION_MAX_ABS_DIFF,
                                     agreement.max_abs_diff)
  if agreement.argmax_agreement is not None:
    artifact.set_float_custom_property(properties.VALIDATION_ARGMAX_AGREEMENT,
                                       agreement.argmax_agreement)
