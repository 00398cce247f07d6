"""PostTrainingQuantizer keys and ComponentSpec (no TensorFlow library of ours)."""

from tfx.types import component_spec
from tfx.types import standard_artifacts

from tfx_compression.framework import spec_channels
from tfx_compression.post_training_quantizer.config import CONFIG_KEY

QUANTIZED_MODEL_KEY = "quantized_model"
CALIBRATION_EXAMPLES_KEY = "calibration_examples"

# The one split of the calibration_examples output.
CALIBRATION_SPLIT = "calibration"
# Files next to the model in the quantized_model output.
LAYER_ERRORS_CSV = "layer_errors.csv"
LAYER_ERRORS_JSON = "layer_errors.json"
# The accuracy-budget search: one row per configuration judged.
SEARCH_TRACE_CSV = "search_trace.csv"
SEARCH_TRACE_JSON = "search_trace.json"
# LiteRT's AI Edge Quantizer's per-tensor comparison with the float model.
TENSOR_VALIDATION_CSV = "tensor_validation.csv"


class PostTrainingQuantizerSpec(component_spec.ComponentSpec):
  """PostTrainingQuantizer: Keras Model (+ Examples) in, TFLite Model out."""

  PARAMETERS = spec_channels.config_parameter(CONFIG_KEY)
  INPUTS = spec_channels.conversion_inputs()
  OUTPUTS = {
      **spec_channels.model_output(QUANTIZED_MODEL_KEY),
      CALIBRATION_EXAMPLES_KEY: spec_channels.channel(
          standard_artifacts.Examples),
  }
