"""Component-level tests: LiteConverter's spec, properties and argument checks."""

import pytest

from tfx_compression import LiteConverter
from tfx_compression import LiteConverterConfig
from tfx_compression import Optimization
from tfx_compression.errors import CompressionConfigError


def _channels():
  from tfx.types import channel_utils  # pylint: disable=g-import-not-at-top
  from tfx.types import standard_artifacts  # pylint: disable=g-import-not-at-top
  return (channel_utils.as_channel([standard_artifacts.Model()]),
          channel_utils.as_channel([standard_artifacts.Examples()]))


def test_outputs_and_exec_properties():
  model, examples = _channels()
  converter = LiteConverter(model=model, examples=examples,
                            config=LiteConverterConfig(
                                optimization="dynamic_range",
                                num_validation_examples=50))
  assert converter.outputs["tflite_model"].type_name == "Model"
  (key,) = converter.exec_properties
  assert key == "lite_converter_config"
  assert LiteConverterConfig.from_exec_properties(
      converter.exec_properties) == LiteConverterConfig(
          optimization="dynamic_range", num_validation_examples=50)


def test_examples_are_optional_and_config_defaults_to_float():
  model, _ = _channels()
  converter = LiteConverter(model=model)
  assert LiteConverterConfig.from_exec_properties(
      converter.exec_properties).optimization.value == "none"
  assert "examples" not in converter.inputs or not converter.inputs["examples"]


def test_config_must_be_a_config_object():
  model, _ = _channels()
  with pytest.raises(CompressionConfigError,
                     match="config must be a LiteConverterConfig; got dict"):
    LiteConverter(model=model, config={"optimization": "float16"})


@pytest.mark.parametrize("kwargs, message", [
    ({"optimization": "int8"},
     "optimization must be one of 'none', 'dynamic_range', 'float16'; got 'int8'"),
    ({"op_set": "flex"},
     "op_set must be one of 'auto', 'builtins', 'builtins_and_select_tf_ops'; "
     "got 'flex'"),
    ({"num_validation_examples": 0}, "num_validation_examples must be >= 1; got 0"),
    ({"num_validation_examples": 2.5},
     "num_validation_examples must be an integer; got 2.5"),
    ({"validation_split": ""}, "validation_split must be a non-empty string"),
    ({"min_argmax_agreement": 1.5}, "min_argmax_agreement must be <= 1.0; got 1.5"),
])
def test_bad_config_names_field_value_and_allowed(kwargs, message):
  with pytest.raises(CompressionConfigError) as e:
    LiteConverterConfig(**kwargs)
  assert message in str(e.value)


def test_config_round_trips_through_exec_properties():
  config = LiteConverterConfig(optimization=Optimization.FLOAT16,
                               op_set="builtins_and_select_tf_ops")
  assert LiteConverterConfig.from_exec_properties(
      config.to_exec_properties()) == config
