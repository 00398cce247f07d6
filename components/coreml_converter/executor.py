"""CoreMLConverter executor: a Keras Model artifact in, a Core ML Model artifact out."""

import dataclasses
import os
from typing import Any, Dict, List

from absl import logging
from tfx.dsl.components.base import base_executor
from tfx.types import artifact_utils

from tfx_compression import artifact_io
from tfx_compression import error_boundary
from tfx_compression import properties
from tfx_compression.coreml_converter import spec
from tfx_compression.coreml_converter.config import CoreMLConverterConfig


class Executor(base_executor.BaseExecutor):
  """Converts the input Keras model to an ML Program and checks its structure."""

  def Do(self, input_dict: Dict[str, List[Any]],
         output_dict: Dict[str, List[Any]],
         exec_properties: Dict[str, Any]) -> None:
    from tfx_compression.coreml_converter import runner  # pylint: disable=g-import-not-at-top

    self._log_startup(input_dict, output_dict, exec_properties)
    config = CoreMLConverterConfig.from_exec_properties(exec_properties)
    source = artifact_utils.get_single_instance(input_dict[spec.MODEL_KEY])
    output = artifact_utils.get_single_instance(
        output_dict[spec.COREML_MODEL_KEY])

    with artifact_io.cleared_on_failure(output.uri), \
        error_boundary.reported_as("CoreMLConverter", source.uri):
      source_dir = artifact_io.keras_dir(source.uri, "CoreMLConverter")
      relative = os.path.join(artifact_io.SERVING_DIR, spec.COREML_DIR,
                              spec.PACKAGE_NAME)
      package = os.path.join(output.uri, relative)
      os.makedirs(os.path.dirname(package), exist_ok=True)
      converted = runner.convert(source_dir, package, config)
      summary = converted.summary
      output.set_string_custom_property(properties.MODEL_FORMAT,
                                        properties.FORMAT_COREML)
      output.set_int_custom_property(properties.SIZE_BYTES,
                                     summary.package_bytes)
      output.set_int_custom_property(properties.COREML_WEIGHT_BYTES,
                                     summary.weight_bytes)
      output.set_string_custom_property(properties.COREML_PRECISION,
                                        config.precision.value)
      output.set_string_custom_property(properties.COREML_WEIGHT_QUANTIZATION,
                                        config.weight_quantization.value)
      artifact_io.write_report(output.uri, {
          "source_model": source.uri, "config": config.to_dict(),
          "package": relative, "keras_parameters": converted.keras_parameters,
          "summary": dataclasses.asdict(summary),
          "validation": "structural: inputs and outputs (names, shapes at "
                        "batch 1) equal the Keras model's; predictions need "
                        "macOS and are not run"})
    logging.info("CoreMLConverter wrote %s: %d bytes (weights %d)",
                 package, summary.package_bytes, summary.weight_bytes)
