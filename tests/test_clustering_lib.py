"""The clustering library and the QAT scheme choice it feeds."""

import pytest

from tfx_compression.errors import CompressionConfigError
from tfx_compression.fine_tuning.config import LayerSelection
from tfx_compression.lib.sparsity import clustering
from tfx_compression.quantization_aware_trainer.config import QatConfig


def test_cluster_preserve_needs_a_clustered_input():
  from tfx_compression.quantization_aware_trainer import runner  # pylint: disable=g-import-not-at-top
  with pytest.raises(CompressionConfigError, match="needs a clustered input"):
    runner.choose_scheme(QatConfig(scheme="cluster_preserve"), 0.0,
                         clustered=False)
  assert runner.choose_scheme(QatConfig(), 0.9, clustered=True).value == (
      "cluster_preserve")
  assert runner.choose_scheme(QatConfig(), 0.9).value == "prune_preserve"


def test_too_many_clusters_for_a_layer_is_refused(keras_model):
  with pytest.raises(CompressionConfigError,
                     match=r"number_of_clusters 256 exceeds the weights of "
                           r"layer\(s\) \['conv1 \(144 weights\)'\]"):
    clustering.select_layers(keras_model, LayerSelection(), 256)
