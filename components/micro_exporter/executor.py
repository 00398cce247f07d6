"""MicroExporter executor: a TFLite Model artifact in, C sources for TFLite Micro out."""

import dataclasses
import os

from tfx.dsl.components.base import base_executor

from tfx_compression.framework import spec_channels
from tfx_compression.framework import artifact_io
from tfx_compression.framework import properties
from tfx_compression.framework import step_executor
from tfx_compression.errors import UnsupportedModelError
from tfx_compression.micro_exporter import spec
from tfx_compression.micro_exporter.config import MicroExporterConfig

_FILES = (spec.HEADER_FILE, spec.SOURCE_FILE, spec.TFLITE_FILE)


class Executor(step_executor.StepExecutor, base_executor.BaseExecutor):
  """Checks int8 I/O, measures the tensor arena, writes model_data.{h,cc}."""

  COMPONENT = "MicroExporter"
  CONFIG = MicroExporterConfig

  def run(self, config, inputs, outputs) -> str:
    from tfx_compression.micro_exporter import runner  # pylint: disable=g-import-not-at-top
    source, output = inputs[spec_channels.MODEL_KEY], outputs[spec.MICRO_MODEL_KEY]
    if not artifact_io.is_tflite(source.uri):
      raise UnsupportedModelError(
          f"Model artifact {source.uri} holds no TFLite model (no "
          f"{artifact_io.tflite_path(source.uri)}); MicroExporter takes an "
          "int8-I/O TFLite Model (PostTrainingQuantizer or "
          "QuantizationAwareTrainer with io_type='int8').")
    model_bytes = artifact_io.read_bytes(artifact_io.tflite_path(source.uri))
    exported = runner.export(model_bytes, config, f"TFLite model {source.uri}",
                             spec.HEADER_FILE)
    files = [os.path.join(artifact_io.SERVING_DIR, spec.MICRO_DIR, name)
             for name in _FILES]
    for path, data in zip(files, (exported.header.encode(),
                                  exported.source.encode(), model_bytes)):
      artifact_io.write_bytes(os.path.join(output.uri, path), data)
    arena = exported.arena
    output.set_string_custom_property(properties.MODEL_FORMAT,
                                      properties.FORMAT_TFLITE_MICRO)
    output.set_int_custom_property(properties.SIZE_BYTES, len(model_bytes))
    output.set_int_custom_property(properties.ARENA_PEAK_BYTES,
                                   arena.peak_bytes)
    output.set_int_custom_property(properties.TENSOR_ARENA_BYTES,
                                   arena.recommended_bytes)
    artifact_io.write_report(output.uri, {
        "source_model": source.uri, "config": config.to_dict(),
        "size_bytes": len(model_bytes), "files": files,
        "arena": dataclasses.asdict(arena)})
    return (f"wrote {output.uri}: {len(model_bytes)} bytes, arena "
            f"{arena.recommended_bytes} (peak {arena.peak_bytes})")
