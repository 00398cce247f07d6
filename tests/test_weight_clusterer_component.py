"""WeightClusterer: config validation and the component's channels and property."""

import pytest

from tfx_compression.errors import CompressionConfigError
from tfx_compression.weight_clusterer.config import WeightClustererConfig


@pytest.mark.parametrize("kwargs,message", [
    ({"number_of_clusters": 1}, "number_of_clusters must be >= 2; got 1"),
    ({"number_of_clusters": 300}, "number_of_clusters must be <= 256; got 300"),
    ({"centroid_init": "KMEANS"},
     "centroid_init must be one of 'kmeans_plus_plus', 'linear', "
     "'density_based', 'random'; got 'KMEANS'"),
    ({"selection": {"exclude_names": []}}, "selection must be a LayerSelection"),
])
def test_config_errors_name_field_value_and_allowed(kwargs, message):
  with pytest.raises(CompressionConfigError, match=message):
    WeightClustererConfig(**kwargs)


def test_component_outputs_and_one_property():
  from tfx.types import channel_utils  # pylint: disable=g-import-not-at-top
  from tfx.types import standard_artifacts  # pylint: disable=g-import-not-at-top
  from tfx_compression import WeightClusterer  # pylint: disable=g-import-not-at-top
  component = WeightClusterer(
      examples=channel_utils.as_channel([standard_artifacts.Examples()]),
      model=channel_utils.as_channel([standard_artifacts.Model()]),
      config=WeightClustererConfig(number_of_clusters=32))
  assert set(component.outputs) == {"clustered_model", "model_run"}
  assert WeightClustererConfig.from_exec_properties(
      component.exec_properties).number_of_clusters == 32
