"""Pruner keys and ComponentSpec (no TensorFlow library imports)."""

from tfx.types import component_spec
from tfx.types import standard_artifacts

from tfx_compression.fine_tuning import spec as tuning_spec
from tfx_compression.pruner.config import CONFIG_KEY  # pylint: disable=unused-import

PRUNED_MODEL_KEY = "pruned_model"


class PrunerSpec(component_spec.ComponentSpec):
  """Pruner: a Keras Model and its Examples in, a sparse Keras Model out."""

  PARAMETERS = {CONFIG_KEY: component_spec.ExecutionParameter(type=str)}
  INPUTS = dict(tuning_spec.INPUTS)
  OUTPUTS = {
      PRUNED_MODEL_KEY: component_spec.ChannelParameter(
          type=standard_artifacts.Model),
      tuning_spec.MODEL_RUN_KEY: tuning_spec.MODEL_RUN_OUTPUT,
  }
