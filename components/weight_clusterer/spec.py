"""WeightClusterer keys and ComponentSpec (no TensorFlow library imports)."""

from tfx.types import component_spec

from tfx_compression.framework import spec_channels
from tfx_compression.fine_tuning import spec as tuning_spec
from tfx_compression.weight_clusterer.config import CONFIG_KEY

CLUSTERED_MODEL_KEY = "clustered_model"


class WeightClustererSpec(component_spec.ComponentSpec):
  """WeightClusterer: a Keras Model and its Examples in, a clustered Keras Model out."""

  PARAMETERS = spec_channels.config_parameter(CONFIG_KEY)
  INPUTS = dict(tuning_spec.INPUTS)
  OUTPUTS = tuning_spec.outputs(CLUSTERED_MODEL_KEY)
