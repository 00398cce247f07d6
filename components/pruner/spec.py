"""Pruner keys and ComponentSpec (no TensorFlow library imports)."""

from tfx.types import component_spec

from tfx_compression.framework import spec_channels
from tfx_compression.fine_tuning import spec as tuning_spec
from tfx_compression.pruner.config import CONFIG_KEY

PRUNED_MODEL_KEY = "pruned_model"


class PrunerSpec(component_spec.ComponentSpec):
  """Pruner: a Keras Model and its Examples in, a sparse Keras Model out."""

  PARAMETERS = spec_channels.config_parameter(CONFIG_KEY)
  INPUTS = dict(tuning_spec.INPUTS)
  OUTPUTS = tuning_spec.outputs(PRUNED_MODEL_KEY)
