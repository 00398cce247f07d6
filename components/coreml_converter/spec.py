"""CoreMLConverter keys, layout and ComponentSpec (imports no TensorFlow library of ours)."""

from tfx.types import component_spec
from tfx.types import standard_artifacts

from tfx_compression.coreml_converter.config import CONFIG_KEY  # pylint: disable=unused-import

MODEL_KEY = "model"
COREML_MODEL_KEY = "coreml_model"

# The output's layout: <uri>/Format-Serving/coreml/model.mlpackage and
# <uri>/report.json.
COREML_DIR = "coreml"
PACKAGE_NAME = "model.mlpackage"


class CoreMLConverterSpec(component_spec.ComponentSpec):
  """CoreMLConverter: a Keras Model in, a Core ML ML Program Model out."""

  PARAMETERS = {CONFIG_KEY: component_spec.ExecutionParameter(type=str)}
  INPUTS = {
      MODEL_KEY: component_spec.ChannelParameter(type=standard_artifacts.Model),
  }
  OUTPUTS = {
      COREML_MODEL_KEY: component_spec.ChannelParameter(
          type=standard_artifacts.Model),
  }
