"""QuantizationAwareTrainer: tfmot QAT fine-tuning and int8 TFLite export."""

from typing import Optional

from tfx import types
from tfx.dsl.components.base import base_component
from tfx.dsl.components.base import executor_spec

from tfx_compression.framework import config_utils
from tfx_compression.framework import spec_channels
from tfx_compression.quantization_aware_trainer import executor
from tfx_compression.quantization_aware_trainer import spec
from tfx_compression.quantization_aware_trainer.config import QatConfig


class QuantizationAwareTrainer(base_component.BaseComponent):
  """Fine-tunes a Keras model with fake-quantization and exports int8 TFLite.

  Takes a Trainer's or a Pruner's model; with a pruned input the
  pruning-preserving scheme keeps its zeros (scheme 'auto').
  """

  SPEC_CLASS = spec.QuantizationAwareTrainerSpec
  EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

  def __init__(self,
               examples: types.BaseChannel,
               model: types.BaseChannel,
               config: Optional[QatConfig] = None,
               schema: Optional[types.BaseChannel] = None,
               transform_graph: Optional[types.BaseChannel] = None):
    """Constructs a QuantizationAwareTrainer.

    Args:
      examples: Examples to fine-tune on and validate with.
      model: A Model holding a Keras SavedModel in Format-Serving.
      config: A `QatConfig`; defaults to every quantizable layer, scheme
        auto, 3 epochs at 1/10 of the model's learning rate, float I/O.
      schema: Optional Schema, passed on to a user `input_fn`.
      transform_graph: Optional TransformGraph, passed on to a user `input_fn`.

    Raises:
      CompressionConfigError: `config` is not a QatConfig.
    """
    config = config_utils.config_or_default(config, QatConfig)
    super().__init__(spec=spec_channels.build_spec(
        self.SPEC_CLASS, config, examples=examples, model=model,
        schema=schema, transform_graph=transform_graph))
