"""WeightClusterer: tfmot weight clustering of a trained Keras model, signature kept."""

from typing import Optional

from tfx import types
from tfx.dsl.components.base import base_component
from tfx.dsl.components.base import executor_spec

from tfx_compression.framework import config_utils
from tfx_compression.framework import spec_channels
from tfx_compression.weight_clusterer import executor
from tfx_compression.weight_clusterer import spec
from tfx_compression.weight_clusterer.config import WeightClustererConfig


class WeightClusterer(base_component.BaseComponent):
  """Clusters a Trainer's Keras model's weights and fine-tunes it.

  The output Model serves exactly like the input (same `serving_default`);
  each selected kernel holds at most `number_of_clusters` distinct values.
  A QuantizationAwareTrainer fed this output preserves the clusters.
  """

  SPEC_CLASS = spec.WeightClustererSpec
  EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

  def __init__(self,
               examples: types.BaseChannel,
               model: types.BaseChannel,
               config: Optional[WeightClustererConfig] = None,
               schema: Optional[types.BaseChannel] = None,
               transform_graph: Optional[types.BaseChannel] = None):
    """Constructs a WeightClusterer.

    Args:
      examples: Examples to fine-tune on and evaluate before/after.
      model: A Model holding a Keras SavedModel in Format-Serving.
      config: A `WeightClustererConfig`; defaults to 16 clusters (k-means++)
        over every clusterable layer.
      schema: Optional Schema, passed on to a user `input_fn`.
      transform_graph: Optional TransformGraph (see Pruner).

    Raises:
      CompressionConfigError: `config` is not a WeightClustererConfig.
    """
    config = config_utils.config_or_default(config, WeightClustererConfig)
    super().__init__(spec=spec_channels.build_spec(
        self.SPEC_CLASS, config, examples=examples, model=model,
        schema=schema, transform_graph=transform_graph))
