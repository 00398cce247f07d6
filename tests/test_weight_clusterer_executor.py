"""WeightClusterer executor on the session model, and cluster-preserving QAT after it."""

import pytest

import executor_harness
from tfx_compression.framework import spec_channels
from tfx_compression.framework import artifact_io
from tfx_compression.framework import properties
from tfx_compression.fine_tuning import spec as tuning_spec
from tfx_compression.fine_tuning.config import FineTuning
from tfx_compression.fine_tuning.config import LayerSelection
from tfx_compression.lib.sparsity import clustering
from tfx_compression.quantization_aware_trainer import spec as qat_spec
from tfx_compression.quantization_aware_trainer.config import QatConfig
from tfx_compression.weight_clusterer import spec
from tfx_compression.weight_clusterer.config import WeightClustererConfig

CLUSTERS = 8
TUNING = FineTuning(epochs=1, steps_per_epoch=30)


@pytest.fixture(scope="module")
def clustered(trained_pipeline, tmp_path_factory):
  out = str(tmp_path_factory.mktemp("clustered"))
  outputs = executor_harness.run(
      "WeightClusterer", {spec_channels.EXAMPLES_KEY: trained_pipeline.examples,
                          spec_channels.MODEL_KEY: trained_pipeline.model}, out,
      WeightClustererConfig(number_of_clusters=CLUSTERS,
                            centroid_init="linear",
                            selection=LayerSelection(
                                exclude_names=("to_image",)),
                            fine_tuning=TUNING))
  return outputs[spec.CLUSTERED_MODEL_KEY]


@pytest.fixture(scope="module")
def clustered_qat(trained_pipeline, clustered, tmp_path_factory):
  return executor_harness.run(
      "QuantizationAwareTrainer",
      {spec_channels.EXAMPLES_KEY: trained_pipeline.examples,
       spec_channels.MODEL_KEY: clustered},
      str(tmp_path_factory.mktemp("clustered_qat")),
      QatConfig(io_type="int8", calibrate_ranges=False,
                fine_tuning=FineTuning(epochs=1, steps_per_epoch=10,
                                       learning_rate_scale=0.1)))[
                                           qat_spec.QAT_MODEL_KEY]


def test_clustered_export_keeps_signature_and_clusters(clustered):
  from tfx_compression.lib.keras import saved_model_io  # pylint: disable=g-import-not-at-top
  report = executor_harness.report(clustered)
  assert clustered.get_custom_property(properties.WEIGHT_CLUSTERS) == CLUSTERS
  layers = report["clustered_layers"]
  assert layers == ["conv1", "conv2", "dense1", "probabilities"]
  assert all(0 < n <= CLUSTERS for n in report["kernel_unique_values"].values())
  # The export serves what was trained, and its kernels are clustered.
  assert report["export_serving_max_abs_diff"] < 1e-4
  exported = saved_model_io.load_keras_model(
      artifact_io.serving_dir(clustered.uri), signatures=True)
  assert "serving_default" in exported.signatures
  assert all(n <= CLUSTERS for n in clustering.kernel_unique_values(
      exported, layers).values())
  assert report["eval_after"]["accuracy"] > 0.85
  assert report["distillation"]["enabled"]
  assert report["weights_gzip_bytes_after"] < report["weights_gzip_bytes_before"]


def test_qat_preserves_clusters_in_int8_tflite(clustered_qat):
  report = executor_harness.report(clustered_qat)
  assert report["scheme"] == "cluster_preserve"
  assert clustered_qat.get_custom_property(
      properties.QAT_SCHEME) == "cluster_preserve"
  assert report["input_weight_clusters"] == CLUSTERS
  unique = clustering.tflite_kernel_unique_values(open(
      artifact_io.tflite_path(clustered_qat.uri), "rb").read())
  print("int8 unique values per kernel (max per channel):", unique)
  assert len(unique) == 4, unique
  assert all(n <= CLUSTERS for n in unique.values()), unique
  assert report["int8_kernel_unique_values"] == unique
  assert report["accuracy"]["qat_tflite"] > 0.85
