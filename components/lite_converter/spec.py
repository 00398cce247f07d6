"""LiteConverter keys and ComponentSpec (imports no TensorFlow library of ours)."""

from tfx.types import component_spec
from tfx.types import standard_artifacts

from tfx_compression.lite_converter.config import CONFIG_KEY  # pylint: disable=unused-import

MODEL_KEY = "model"
EXAMPLES_KEY = "examples"
TRANSFORM_GRAPH_KEY = "transform_graph"
TFLITE_MODEL_KEY = "tflite_model"


class LiteConverterSpec(component_spec.ComponentSpec):
  """LiteConverter: a SavedModel Model (+ Examples, TransformGraph) in, TFLite Model out."""

  PARAMETERS = {CONFIG_KEY: component_spec.ExecutionParameter(type=str)}
  INPUTS = {
      MODEL_KEY: component_spec.ChannelParameter(type=standard_artifacts.Model),
      EXAMPLES_KEY: component_spec.ChannelParameter(
          type=standard_artifacts.Examples, optional=True),
      TRANSFORM_GRAPH_KEY: component_spec.ChannelParameter(
          type=standard_artifacts.TransformGraph, optional=True),
  }
  OUTPUTS = {
      TFLITE_MODEL_KEY: component_spec.ChannelParameter(
          type=standard_artifacts.Model),
  }
