"""WeightClusterer keys and ComponentSpec (no TensorFlow library imports)."""

from tfx.types import component_spec
from tfx.types import standard_artifacts

from tfx_compression.fine_tuning import spec as tuning_spec
from tfx_compression.weight_clusterer.config import CONFIG_KEY

CLUSTERED_MODEL_KEY = "clustered_model"


class WeightClustererSpec(component_spec.ComponentSpec):
  """WeightClusterer: a Keras Model and its Examples in, a clustered Keras Model out."""

  PARAMETERS = {CONFIG_KEY: component_spec.ExecutionParameter(type=str)}
  INPUTS = dict(tuning_spec.INPUTS)
  OUTPUTS = {
      CLUSTERED_MODEL_KEY: component_spec.ChannelParameter(
          type=standard_artifacts.Model),
      tuning_spec.MODEL_RUN_KEY: tuning_spec.MODEL_RUN_OUTPUT,
  }
