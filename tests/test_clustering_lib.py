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


@pytest.mark.parametrize("preserve, kept", [(None, True), (False, False)])
def test_clustering_a_pruned_model_keeps_its_zeros(preserve, kept, tmp_path):
  """preserve_sparsity None (auto) keeps a pruned input's zeros; False
  clusters them away with the rest."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  from model_factories import random_training_data, small_cnn  # pylint: disable=g-import-not-at-top
  from tfx_compression.fine_tuning.config import FineTuning  # pylint: disable=g-import-not-at-top
  from tfx_compression.weight_clusterer import runner  # pylint: disable=g-import-not-at-top
  from tfx_compression.weight_clusterer.config import WeightClustererConfig  # pylint: disable=g-import-not-at-top
  model = small_cnn()
  for layer in model.layers:  # 70 % zeros: a Pruner's output
    if getattr(layer, "kernel", None) is not None:
      kernel, bias = layer.get_weights()
      kernel[np.abs(kernel) < np.quantile(np.abs(kernel), 0.7)] = 0
      layer.set_weights([kernel, bias])
  model.compile("adam", "sparse_categorical_crossentropy",
                metrics=["accuracy"])
  data = random_training_data()
  result = runner.cluster(model, WeightClustererConfig(
      number_of_clusters=8, preserve_sparsity=preserve,
      fine_tuning=FineTuning(epochs=1, steps_per_epoch=4, batch_size=16,
                             alpha=1.0)), data, str(tmp_path))
  assert result.preserve_sparsity is kept
  assert result.input_sparsity == pytest.approx(0.7, abs=0.01)
  if kept:
    assert result.output_sparsity >= 0.7 - 0.01
  else:
    assert result.output_sparsity < 0.5
  assert max(result.unique_values.values()) <= 8 + int(kept)


def test_a_pruned_model_with_layers_kept_dense_can_be_clustered(tmp_path):
  """The Pruner freezes the layers it keeps dense only while it fine-tunes:
  its output trains as its input did, so the WeightClusterer (the plan's
  prune-cluster-QAT recipe) can wrap every layer."""
  from model_factories import random_training_data, small_cnn  # pylint: disable=g-import-not-at-top
  from tfx_compression.fine_tuning.config import FineTuning  # pylint: disable=g-import-not-at-top
  from tfx_compression.pruner import runner as pruner_runner  # pylint: disable=g-import-not-at-top
  from tfx_compression.pruner.config import PrunerConfig  # pylint: disable=g-import-not-at-top
  from tfx_compression.weight_clusterer import runner  # pylint: disable=g-import-not-at-top
  from tfx_compression.weight_clusterer.config import WeightClustererConfig  # pylint: disable=g-import-not-at-top
  data = random_training_data()
  tuning = FineTuning(epochs=1, steps_per_epoch=4, batch_size=16, alpha=1.0)
  model = small_cnn()
  model.compile("adam", "sparse_categorical_crossentropy",
                metrics=["accuracy"])
  pruned = pruner_runner.prune(model, PrunerConfig(
      selection=LayerSelection(keep_first_and_last=True),
      fine_tuning=tuning), data, str(tmp_path / "prune"))
  kept = [n for n, why in pruned.selection.skipped.items()
          if why == "kept dense: first or last prunable layer"]
  assert len(kept) == 2
  assert all(l.trainable for l in pruned.stripped_model.layers)
  result = runner.cluster(pruned.stripped_model, WeightClustererConfig(
      number_of_clusters=8, fine_tuning=tuning), data, str(tmp_path / "c"))
  assert len(result.selection.selected) == len(pruned.selection.prunable)


def test_preserve_sparsity_is_true_false_or_auto():
  from tfx_compression.weight_clusterer.config import WeightClustererConfig  # pylint: disable=g-import-not-at-top
  with pytest.raises(CompressionConfigError,
                     match=r"preserve_sparsity must be true, false or null "
                           r"\(auto: when the input is at least 0.3 zeros\); "
                           r"got 'yes'"):
    WeightClustererConfig(preserve_sparsity="yes")
  config = WeightClustererConfig(preserve_sparsity=True)
  assert WeightClustererConfig.from_dict(config.to_dict()) == config
