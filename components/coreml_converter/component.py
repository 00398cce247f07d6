"""CoreMLConverter: a Keras Model artifact as a Core ML ML Program (.mlpackage)."""

from typing import Optional

from tfx import types
from tfx.dsl.components.base import base_component
from tfx.dsl.components.base import executor_spec

from tfx_compression.framework import config_utils
from tfx_compression.framework import spec_channels
from tfx_compression.coreml_converter import executor
from tfx_compression.coreml_converter import spec
from tfx_compression.coreml_converter.config import CoreMLConverterConfig


class CoreMLConverter(base_component.BaseComponent):
  """Converts a Keras SavedModel (Trainer, Pruner, WeightClusterer) to Core ML.

  The output Model keeps the package at
  `<uri>/Format-Serving/coreml/model.mlpackage`.
  """

  SPEC_CLASS = spec.CoreMLConverterSpec
  EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

  def __init__(self, model: types.BaseChannel,
               config: Optional[CoreMLConverterConfig] = None):
    """Constructs a CoreMLConverter.

    Args:
      model: Channel of a Model holding a Keras SavedModel (saved by tf_keras
        `model.save`) in Format-Serving.
      config: A `CoreMLConverterConfig`; defaults to float16, no weight
        quantization.

    Raises:
      CompressionConfigError: `config` is not a CoreMLConverterConfig.
    """
    config = config_utils.config_or_default(config, CoreMLConverterConfig)
    super().__init__(spec=spec_channels.build_spec(self.SPEC_CLASS, config,
                                                   model=model))
