"""LiteConverter executor: artifacts in, a validated TFLite Model artifact out."""

from typing import Any, Dict, List

from absl import logging
from tfx.dsl.components.base import base_executor
from tfx.types import artifact_utils

from tfx_compression import artifact_io
from tfx_compression import config_utils
from tfx_compression import conversion_input
from tfx_compression import error_boundary
from tfx_compression import properties
from tfx_compression import tflite_artifact
from tfx_compression.lite_converter import spec
from tfx_compression.lite_converter.config import LiteConverterConfig


class Executor(base_executor.BaseExecutor):
  """Converts the input model to TFLite and validates it on real examples."""

  def Do(self, input_dict: Dict[str, List[Any]],
         output_dict: Dict[str, List[Any]],
         exec_properties: Dict[str, Any]) -> None:
    from tfx_compression.lite_converter import runner  # pylint: disable=g-import-not-at-top

    self._log_startup(input_dict, output_dict, exec_properties)
    config = LiteConverterConfig.from_exec_properties(exec_properties)
    source = artifact_utils.get_single_instance(input_dict[spec.MODEL_KEY])
    output = artifact_utils.get_single_instance(
        output_dict[spec.TFLITE_MODEL_KEY])

    with artifact_io.cleared_on_failure(output.uri), \
        error_boundary.reported_as("LiteConverter", source.uri):
      prepared = conversion_input.prepare(
          source.uri, conversion_input.single(input_dict, spec.EXAMPLES_KEY),
          conversion_input.transform_dir(input_dict, spec.TRANSFORM_GRAPH_KEY),
          config.inputs, config.validation_split,
          config.num_validation_examples, "LiteConverter")
      converted = runner.convert(prepared, config)
      result, serving = converted.result, converted.serving
      inputs = prepared.source.inputs
      tflite_artifact.publish(output, result, inputs, serving)
      output.set_string_custom_property(properties.OPTIMIZATION,
                                        config.optimization.value)
      report = dict(tflite_artifact.report(result, inputs, serving),
                    source_model=source.uri,
                    config=config.to_dict(),
                    inputs_from=prepared.source.space.description,
                    source_saved_with=prepared.loaded.info.saved_with)
      artifact_io.write_report(output.uri, report)
    logging.info("LiteConverter wrote %s: %s", output.uri, report["summary"])
