"""Pruner: tfmot magnitude pruning of a trained Keras model, signature kept."""

from typing import Optional

from tfx import types
from tfx.dsl.components.base import base_component
from tfx.dsl.components.base import executor_spec

from tfx_compression.framework import config_utils
from tfx_compression.framework import spec_channels
from tfx_compression.pruner import executor
from tfx_compression.pruner import spec
from tfx_compression.pruner.config import PrunerConfig


class Pruner(base_component.BaseComponent):
  """Prunes a Trainer's Keras model and fine-tunes it on the train split.

  The output Model serves exactly like the input (same `serving_default`),
  with the target share of zero weights in the selected layers.
  """

  SPEC_CLASS = spec.PrunerSpec
  EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

  def __init__(self,
               examples: types.BaseChannel,
               model: types.BaseChannel,
               config: Optional[PrunerConfig] = None,
               schema: Optional[types.BaseChannel] = None,
               transform_graph: Optional[types.BaseChannel] = None):
    """Constructs a Pruner.

    Args:
      examples: Examples to fine-tune on (`config.fine_tuning.train_split`)
        and evaluate before/after (`eval_split`).
      model: A Model holding a Keras SavedModel in Format-Serving.
      config: A `PrunerConfig`; defaults to polynomial decay to 50 % sparsity
        over every prunable layer.
      schema: Optional Schema, passed on to a user `input_fn`.
      transform_graph: Optional TransformGraph, passed on to a user `input_fn`.

    Raises:
      CompressionConfigError: `config` is not a PrunerConfig.
    """
    config = config_utils.config_or_default(config, PrunerConfig)
    super().__init__(spec=spec_channels.build_spec(
        self.SPEC_CLASS, config, examples=examples, model=model,
        schema=schema, transform_graph=transform_graph))
