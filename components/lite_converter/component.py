"""LiteConverter: converts a Keras Model artifact into a validated TFLite Model."""

from typing import Optional

from tfx import types
from tfx.dsl.components.base import base_component
from tfx.dsl.components.base import executor_spec

from tfx_compression.framework import config_utils
from tfx_compression.framework import spec_channels
from tfx_compression.lite_converter import executor
from tfx_compression.lite_converter import spec
from tfx_compression.lite_converter.config import LiteConverterConfig


class LiteConverter(base_component.BaseComponent):
  """Converts a SavedModel (Trainer or Pruner output) to TFLite.

  The output Model artifact keeps the flatbuffer at
  `<uri>/Format-Serving/tflite`, where the stock Evaluator (model_type
  'tf_lite') and Pusher expect it.
  """

  SPEC_CLASS = spec.LiteConverterSpec
  EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

  def __init__(self,
               model: types.BaseChannel,
               examples: Optional[types.BaseChannel] = None,
               config: Optional[LiteConverterConfig] = None,
               transform_graph: Optional[types.BaseChannel] = None):
    """Constructs a LiteConverter.

    Args:
      model: Channel of a Model holding a SavedModel in Format-Serving,
        saved by tf_keras `model.save` or by `tf.saved_model.save`.
      examples: Optional raw Examples (what serving_default parses);
        `config.num_validation_examples` of `config.validation_split`
        validate the converted model against the source model and its
        serving signature. Without them the model is only smoke-run on
        zeros.
      config: A `LiteConverterConfig`; defaults to a float32 conversion.
      transform_graph: The pipeline's TransformGraph when the model reads
        transformed features: it is folded into the TFLite model, which then
        takes the raw serving features.

    Raises:
      CompressionConfigError: `config` is not a LiteConverterConfig.
    """
    config = config_utils.config_or_default(config, LiteConverterConfig)
    super().__init__(spec=spec_channels.build_spec(
        self.SPEC_CLASS, config, model=model, examples=examples,
        transform_graph=transform_graph))
