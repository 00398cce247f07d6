"""MicroExporter: config validation and round trip, the component's channel and property."""

import pytest

from tfx_compression.errors import CompressionConfigError
from tfx_compression.micro_exporter.config import MicroExporterConfig


@pytest.mark.parametrize("field,value,message", [
    ("array_name", "1model", "array_name must be a C identifier"),
    ("array_name", "model-data", "array_name must be a C identifier"),
    ("arena_margin", -0.1, "arena_margin must be >= 0.0; got -0.1"),
    ("arena_overhead_bytes", 1.5, "arena_overhead_bytes must be an integer"),
])
def test_config_errors_name_field_and_value(field, value, message):
  with pytest.raises(CompressionConfigError, match=message):
    MicroExporterConfig(**{field: value})


def test_config_round_trips_with_schema_version():
  config = MicroExporterConfig(array_name="kws_model", arena_margin=0.5)
  text = config.to_json()
  assert '"schema_version": 1' in text
  assert MicroExporterConfig.from_json(text) == config


def test_component_outputs_and_property():
  from tfx.types import channel_utils  # pylint: disable=g-import-not-at-top
  from tfx.types import standard_artifacts  # pylint: disable=g-import-not-at-top
  from tfx_compression import MicroExporter  # pylint: disable=g-import-not-at-top
  model = channel_utils.as_channel([standard_artifacts.Model()])
  component = MicroExporter(model=model)
  assert component.outputs["micro_model"].type == standard_artifacts.Model
  assert MicroExporterConfig.from_exec_properties(
      component.exec_properties) == MicroExporterConfig()
  with pytest.raises(CompressionConfigError, match="MicroExporterConfig"):
    MicroExporter(model=model, config={"array_name": "x"})
