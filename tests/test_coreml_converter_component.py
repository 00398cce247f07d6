"""CoreMLConverter: config validation, the component's channel and property."""

import pytest

from tfx_compression.coreml_converter.config import CoreMLConverterConfig
from tfx_compression.errors import CompressionConfigError


@pytest.mark.parametrize("kwargs,message", [
    ({"precision": "fp16"},
     "precision must be one of 'float16', 'float32'; got 'fp16'"),
    ({"weight_quantization": "int4"},
     "weight_quantization must be one of 'none', 'int8'; got 'int4'"),
    ({"trust_model_code": "yes"}, "trust_model_code must be True or False"),
])
def test_config_errors_name_field_value_and_allowed(kwargs, message):
  with pytest.raises(CompressionConfigError, match=message):
    CoreMLConverterConfig(**kwargs)


def test_component_output_and_one_property():
  from tfx.types import channel_utils  # pylint: disable=g-import-not-at-top
  from tfx.types import standard_artifacts  # pylint: disable=g-import-not-at-top
  from tfx_compression import CoreMLConverter  # pylint: disable=g-import-not-at-top
  component = CoreMLConverter(
      model=channel_utils.as_channel([standard_artifacts.Model()]),
      config=CoreMLConverterConfig(weight_quantization="int8"))
  assert set(component.outputs) == {"coreml_model"}
  assert CoreMLConverterConfig.from_exec_properties(
      component.exec_properties).weight_quantization.value == "int8"
