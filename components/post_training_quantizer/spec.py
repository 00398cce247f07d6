"""PostTrainingQuantizer keys and ComponentSpec (no TensorFlow library of ours)."""

from tfx.types import component_spec
from tfx.types import standard_artifacts

from tfx_compression.post_training_quantizer.config import CONFIG_KEY  # pylint: disable=unused-import

MODEL_KEY = "model"
EXAMPLES_KEY = "examples"
TRANSFORM_GRAPH_KEY = "transform_graph"
QUANTIZED_MODEL_KEY = "quantized_model"
CALIBRATION_EXAMPLES_KEY = "calibration_examples"

# The one split of the calibration_examples output.
CALIBRATION_SPLIT = "calibration"
# Files next to the model in the quantized_model output.
LAYER_ERRORS_CSV = "layer_errors.csv"
LAYER_ERRORS_JSON = "layer_errors.json"


class PostTrainingQuantizerSpec(component_spec.ComponentSpec):
  """PostTrainingQuantizer: Keras Model (+ Examples) in, TFLite Model out."""

  PARAMETERS = {CONFIG_KEY: component_spec.ExecutionParameter(type=str)}
  INPUTS = {
      MODEL_KEY: component_spec.ChannelParameter(type=standard_artifacts.Model),
      EXAMPLES_KEY: component_spec.ChannelParameter(
          type=standard_artifacts.Examples, optional=True),
      TRANSFORM_GRAPH_KEY: component_spec.ChannelParameter(
          type=standard_artifacts.TransformGraph, optional=True),
  }
  OUTPUTS = {
      QUANTIZED_MODEL_KEY: component_spec.ChannelParameter(
          type=standard_artifacts.Model),
      CALIBRATION_EXAMPLES_KEY: component_spec.ChannelParameter(
          type=standard_artifacts.Examples),
  }
