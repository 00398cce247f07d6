"""LiteConverter keys and ComponentSpec (imports no TensorFlow library of ours)."""

from tfx.types import component_spec

from tfx_compression.framework import spec_channels
from tfx_compression.lite_converter.config import CONFIG_KEY

TFLITE_MODEL_KEY = "tflite_model"


class LiteConverterSpec(component_spec.ComponentSpec):
  """LiteConverter: a SavedModel Model (+ Examples, TransformGraph) in, TFLite Model out."""

  PARAMETERS = spec_channels.config_parameter(CONFIG_KEY)
  INPUTS = spec_channels.conversion_inputs()
  OUTPUTS = spec_channels.model_output(TFLITE_MODEL_KEY)
