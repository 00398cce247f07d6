"""Component-level tests: QuantizationAwareTrainer spec, config validation and round trip."""

import pytest

from tfx_compression.errors import CompressionConfigError
from tfx_compression.fine_tuning.config import FineTuning
from tfx_compression.fine_tuning.config import LayerSelection
from tfx_compression.quantization_aware_trainer.config import QatConfig


@pytest.mark.parametrize("build, message", [
    (lambda: QatConfig(fine_tuning=FineTuning(learning_rate_scale=-1)),
     "fine_tuning.learning_rate_scale must be > 0; got -1"),
    (lambda: QatConfig(fine_tuning=FineTuning(epochs=0)),
     "fine_tuning.epochs must be >= 1; got 0"),
    (lambda: QatConfig(scheme="int4"),
     "scheme must be one of 'auto', 'default_8bit', 'prune_preserve', 'cluster_preserve'; got 'int4'"),
    (lambda: QatConfig(io_type="uint8"),
     "io_type must be one of ['float32', 'int8']; got 'uint8'"),
    (lambda: QatConfig(sparsity_threshold=2), "sparsity_threshold must be <= 1.0"),
    (lambda: QatConfig.from_dict({"epochs": 3}), "unknown QAT config field(s) ['epochs']"),
])
def test_bad_config_is_named(build, message):
  with pytest.raises(CompressionConfigError) as e:
    build()
  assert message in str(e.value)


def test_component_outputs_and_config_round_trip():
  from tfx.types import channel_utils, standard_artifacts  # pylint: disable=g-import-not-at-top
  from tfx_compression import QuantizationAwareTrainer  # pylint: disable=g-import-not-at-top
  config = QatConfig(scheme="prune_preserve", io_type="int8",
                     selection=LayerSelection(keep_first_and_last=True))
  component = QuantizationAwareTrainer(
      examples=channel_utils.as_channel([standard_artifacts.Examples()]),
      model=channel_utils.as_channel([standard_artifacts.Model()]),
      config=config)
  # The public output and property names a pipeline wires by.
  assert set(component.outputs) == {"qat_model", "model_run"}
  assert component.outputs["qat_model"].type_name == "Model"
  assert component.outputs["model_run"].type_name == "ModelRun"
  assert QatConfig.from_json(component.exec_properties["qat_config"]) == config
  with pytest.raises(CompressionConfigError, match="config must be a QatConfig"):
    QuantizationAwareTrainer(
        examples=channel_utils.as_channel([standard_artifacts.Examples()]),
        model=channel_utils.as_channel([standard_artifacts.Model()]),
        config=object())
