"""CoreMLConverter executor: a Keras Model artifact in, a Core ML Model artifact out."""

import dataclasses
import os
import tempfile

from tfx.dsl.components.base import base_executor

from tfx_compression.framework import spec_channels
from tfx_compression.framework import artifact_io
from tfx_compression.framework import properties
from tfx_compression.framework import step_executor
from tfx_compression.coreml_converter import spec
from tfx_compression.coreml_converter.config import CoreMLConverterConfig


class Executor(step_executor.StepExecutor, base_executor.BaseExecutor):
  """Converts the input Keras model to an ML Program and checks its structure."""

  COMPONENT = "CoreMLConverter"
  CONFIG = CoreMLConverterConfig

  def run(self, config, inputs, outputs) -> str:
    from tfx_compression.coreml_converter import runner  # pylint: disable=g-import-not-at-top
    source, output = inputs[spec_channels.MODEL_KEY], outputs[spec.COREML_MODEL_KEY]
    source_dir = artifact_io.keras_dir(source.uri, self.COMPONENT)
    relative = os.path.join(artifact_io.SERVING_DIR, spec.COREML_DIR,
                            spec.PACKAGE_NAME)
    package = os.path.join(output.uri, relative)
    # coremltools saves to a local path only: save there, then copy to the
    # output (which may be gs://) through the artifact filesystem.
    with tempfile.TemporaryDirectory() as local:
      saved = os.path.join(local, spec.PACKAGE_NAME)
      converted = runner.convert(source_dir, saved, config)
      artifact_io.copy_dir(saved, package)
    summary = converted.summary
    output.set_string_custom_property(properties.MODEL_FORMAT,
                                      properties.FORMAT_COREML)
    output.set_int_custom_property(properties.SIZE_BYTES, summary.package_bytes)
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
    return (f"wrote {package}: {summary.package_bytes} bytes "
            f"(weights {summary.weight_bytes})")
