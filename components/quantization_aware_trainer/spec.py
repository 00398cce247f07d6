"""QuantizationAwareTrainer keys and ComponentSpec (no TensorFlow library imports)."""

from tfx.types import component_spec
from tfx.types import standard_artifacts

EXAMPLES_KEY = "examples"
MODEL_KEY = "model"
SCHEMA_KEY = "schema"
TRANSFORM_GRAPH_KEY = "transform_graph"
QAT_MODEL_KEY = "qat_model"
MODEL_RUN_KEY = "model_run"
CONFIG_KEY = "qat_config"  # QatConfig.to_json()
KERAS_QAT_DIR = "keras_qat"  # <qat_model uri>/keras_qat: the QAT SavedModel


class QuantizationAwareTrainerSpec(component_spec.ComponentSpec):
  """QAT: a Keras Model and its Examples in, an int8 TFLite Model out."""

  PARAMETERS = {CONFIG_KEY: component_spec.ExecutionParameter(type=str)}
  INPUTS = {
      EXAMPLES_KEY: component_spec.ChannelParameter(
          type=standard_artifacts.Examples),
      MODEL_KEY: component_spec.ChannelParameter(type=standard_artifacts.Model),
      SCHEMA_KEY: component_spec.ChannelParameter(
          type=standard_artifacts.Schema, optional=True),
      TRANSFORM_GRAPH_KEY: component_spec.ChannelParameter(
          type=standard_artifacts.TransformGraph, optional=True),
  }
  OUTPUTS = {
      QAT_MODEL_KEY: component_spec.ChannelParameter(
          type=standard_artifacts.Model),
      MODEL_RUN_KEY: component_spec.ChannelParameter(
          type=standard_artifacts.ModelRun),
  }
