"""LiteConverter: converts a Keras Model artifact into a validated TFLite Model."""

from typing import Optional

from tfx import types
from tfx.dsl.components.base import base_component
from tfx.dsl.components.base import executor_spec
from tfx.types import standard_artifacts

from tfx_compression import config_utils
from tfx_compression.lite_converter import executor
from tfx_compression.lite_converter import spec
from tfx_compression.lite_converter.config import LiteConverterConfig


class LiteConverter(base_component.BaseComponent):
  """Converts a Keras SavedModel (Trainer, Pruner, QAT output) to TFLite.

  The output Model artifact keeps the flatbuffer at
  `<uri>/Format-Serving/tflite`, where the stock Evaluator (model_type
  'tf_lite') and Pusher expect it.
  """

  SPEC_CLASS = spec.LiteConverterSpec
  EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

  def __init__(self,
               model: types.BaseChannel,
               examples: Optional[types.BaseChannel] = None,
               config: Optional[LiteConverterConfig] = None):
    """Constructs a LiteConverter.

    Args:
      model: Channel of a Model holding a Keras SavedModel in Format-Serving.
      examples: Optional Examples; `config.num_validation_examples` of
        `config.validation_split` validate the converted model. Without
        them the model is only smoke-run on zeros.
      config: A `LiteConverterConfig`; defaults to a float32 conversion.

    Raises:
      CompressionConfigError: `config` is not a LiteConverterConfig.
    """
    config = config_utils.config_or_default(config, LiteConverterConfig)
    super().__init__(spec=spec.LiteConverterSpec(
        model=model,
        examples=examples,
        tflite_model=types.Channel(type=standard_artifacts.Model),
        **config.to_exec_properties()))
