"""CoreMLConverter keys, layout and ComponentSpec (imports no TensorFlow library of ours)."""

from tfx.types import component_spec

from tfx_compression.framework import spec_channels
from tfx_compression.coreml_converter.config import CONFIG_KEY

COREML_MODEL_KEY = "coreml_model"

# The output's layout: <uri>/Format-Serving/coreml/model.mlpackage and
# <uri>/report.json.
COREML_DIR = "coreml"
PACKAGE_NAME = "model.mlpackage"


class CoreMLConverterSpec(component_spec.ComponentSpec):
  """CoreMLConverter: a Keras Model in, a Core ML ML Program Model out."""

  PARAMETERS = spec_channels.config_parameter(CONFIG_KEY)
  INPUTS = spec_channels.model_input()
  OUTPUTS = spec_channels.model_output(COREML_MODEL_KEY)
