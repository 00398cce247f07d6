"""QuantizationAwareTrainer keys and ComponentSpec (no TensorFlow library imports)."""

from tfx.types import component_spec

from tfx_compression.framework import spec_channels
from tfx_compression.fine_tuning import spec as tuning_spec
from tfx_compression.quantization_aware_trainer.config import CONFIG_KEY

QAT_MODEL_KEY = "qat_model"
KERAS_QAT_DIR = "keras_qat"  # <qat_model uri>/keras_qat: the QAT SavedModel


class QuantizationAwareTrainerSpec(component_spec.ComponentSpec):
  """QAT: a Keras Model and its Examples in, an int8 TFLite Model out."""

  PARAMETERS = spec_channels.config_parameter(CONFIG_KEY)
  INPUTS = dict(tuning_spec.INPUTS)
  OUTPUTS = tuning_spec.outputs(QAT_MODEL_KEY)
