"""MicroExporter: an int8-I/O TFLite Model as C sources for TFLite Micro."""

from typing import Optional

from tfx import types
from tfx.dsl.components.base import base_component
from tfx.dsl.components.base import executor_spec

from tfx_compression.framework import config_utils
from tfx_compression.framework import spec_channels
from tfx_compression.micro_exporter import executor
from tfx_compression.micro_exporter import spec
from tfx_compression.micro_exporter.config import MicroExporterConfig


class MicroExporter(base_component.BaseComponent):
  """Writes an int8-I/O TFLite model as a C array plus its tensor arena size.

  The output Model keeps `model_data.h`, `model_data.cc` and `model.tflite`
  in `<uri>/Format-Serving/micro/`, and the arena measurement in
  `<uri>/report.json`.
  """

  SPEC_CLASS = spec.MicroExporterSpec
  EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

  def __init__(self, model: types.BaseChannel,
               config: Optional[MicroExporterConfig] = None):
    """Constructs a MicroExporter.

    Args:
      model: Channel of a TFLite Model with int8 inputs and outputs
        (PostTrainingQuantizer or QuantizationAwareTrainer with
        io_type='int8').
      config: A `MicroExporterConfig`; defaults to `g_model_data`, +25 % and
        4 KiB arena margin.

    Raises:
      CompressionConfigError: `config` is not a MicroExporterConfig.
    """
    config = config_utils.config_or_default(config, MicroExporterConfig)
    super().__init__(spec=spec_channels.build_spec(self.SPEC_CLASS, config,
                                                   model=model))
