"""QuantizationAwareTrainer keys and ComponentSpec (no TensorFlow library imports)."""

from tfx.types import component_spec
from tfx.types import standard_artifacts

from tfx_compression.fine_tuning import spec as tuning_spec
from tfx_compression.quantization_aware_trainer.config import CONFIG_KEY  # pylint: disable=unused-import

QAT_MODEL_KEY = "qat_model"
KERAS_QAT_DIR = "keras_qat"  # <qat_model uri>/keras_qat: the QAT SavedModel


class QuantizationAwareTrainerSpec(component_spec.ComponentSpec):
  """QAT: a Keras Model and its Examples in, an int8 TFLite Model out."""

  PARAMETERS = {CONFIG_KEY: component_spec.ExecutionParameter(type=str)}
  INPUTS = dict(tuning_spec.INPUTS)
  OUTPUTS = {
      QAT_MODEL_KEY: component_spec.ChannelParameter(
          type=standard_artifacts.Model),
      tuning_spec.MODEL_RUN_KEY: tuning_spec.MODEL_RUN_OUTPUT,
  }
