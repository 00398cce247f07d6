"""MicroExporter executor: a TFLite Model artifact in, C sources for TFLite Micro out."""

import dataclasses
import os
from typing import Any, Dict, List

from absl import logging
from tfx.dsl.components.base import base_executor
from tfx.types import artifact_utils

from tfx_compression import artifact_io
from tfx_compression import error_boundary
from tfx_compression import properties
from tfx_compression.errors import UnsupportedModelError
from tfx_compression.micro_exporter import spec
from tfx_compression.micro_exporter.config import MicroExporterConfig


class Executor(base_executor.BaseExecutor):
  """Checks int8 I/O, measures the tensor arena, writes model_data.{h,cc}."""

  def Do(self, input_dict: Dict[str, List[Any]],
         output_dict: Dict[str, List[Any]],
         exec_properties: Dict[str, Any]) -> None:
    from tfx_compression.micro_exporter import runner  # pylint: disable=g-import-not-at-top

    self._log_startup(input_dict, output_dict, exec_properties)
    config = MicroExporterConfig.from_exec_properties(exec_properties)
    source = artifact_utils.get_single_instance(input_dict[spec.MODEL_KEY])
    output = artifact_utils.get_single_instance(
        output_dict[spec.MICRO_MODEL_KEY])

    with artifact_io.cleared_on_failure(output.uri), \
        error_boundary.reported_as("MicroExporter", source.uri):
      if not artifact_io.is_tflite(source.uri):
        raise UnsupportedModelError(
            f"Model artifact {source.uri} holds no TFLite model (no "
            f"{artifact_io.tflite_path(source.uri)}); MicroExporter takes an "
            "int8-I/O TFLite Model (PostTrainingQuantizer or "
            "QuantizationAwareTrainer with io_type='int8').")
      model_bytes = artifact_io.read_bytes(artifact_io.tflite_path(source.uri))
      exported = runner.export(model_bytes, config,
                               f"TFLite model {source.uri}")
      micro_dir = os.path.join(output.uri, artifact_io.SERVING_DIR,
                               spec.MICRO_DIR)
      for name, data in ((spec.HEADER_FILE, exported.header.encode()),
                         (spec.SOURCE_FILE, exported.source.encode()),
                         (spec.TFLITE_FILE, model_bytes)):
        artifact_io.write_bytes(os.path.join(micro_dir, name), data)
      arena = exported.arena
      output.set_string_custom_property(properties.MODEL_FORMAT,
                                        properties.FORMAT_TFLITE_MICRO)
      output.set_int_custom_property(properties.SIZE_BYTES, len(model_bytes))
      output.set_int_custom_property(properties.ARENA_PEAK_BYTES,
                                     arena.peak_bytes)
      output.set_int_custom_property(properties.TENSOR_ARENA_BYTES,
                                     arena.recommended_bytes)
      report = {"source_model": source.uri, "config": config.to_dict(),
                "size_bytes": len(model_bytes),
                "files": [os.path.join(artifact_io.SERVING_DIR, spec.MICRO_DIR,
                                       n) for n in (spec.HEADER_FILE,
                                                    spec.SOURCE_FILE,
                                                    spec.TFLITE_FILE)],
                "arena": dataclasses.asdict(arena)}
      artifact_io.write_report(output.uri, report)
    logging.info("MicroExporter wrote %s: %d bytes, arena %d (peak %d)",
                 output.uri, len(model_bytes), arena.recommended_bytes,
                 arena.peak_bytes)
