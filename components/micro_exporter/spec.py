"""MicroExporter keys, layout and ComponentSpec (imports no TensorFlow library of ours)."""

from tfx.types import component_spec

from tfx_compression.framework import spec_channels
from tfx_compression.micro_exporter.config import CONFIG_KEY

MICRO_MODEL_KEY = "micro_model"

# The output's layout: <uri>/Format-Serving/micro/{model_data.h, .cc,
# model.tflite} and <uri>/report.json.
MICRO_DIR = "micro"
HEADER_FILE = "model_data.h"
SOURCE_FILE = "model_data.cc"
TFLITE_FILE = "model.tflite"


class MicroExporterSpec(component_spec.ComponentSpec):
  """MicroExporter: an int8-I/O TFLite Model in, C sources for TFLite Micro out."""

  PARAMETERS = spec_channels.config_parameter(CONFIG_KEY)
  INPUTS = spec_channels.model_input()
  OUTPUTS = spec_channels.model_output(MICRO_MODEL_KEY)
