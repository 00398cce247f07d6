"""Executor-level refusals shared by the fine-tuning components.

Pruner, QuantizationAwareTrainer and WeightClusterer load their input through
fine_tuning.data: each refuses, by its own name and before publishing
anything, a model it cannot fine-tune.
"""

import pytest

import executor_harness
from model_factories import model_artifact
from model_factories import small_cnn
from tfx_compression.framework import spec_channels
from tfx_compression.errors import UnsupportedModelError
from tfx_compression.fine_tuning import spec as tuning_spec
from tfx_compression.pruner.config import PrunerConfig
from tfx_compression.quantization_aware_trainer.config import QatConfig
from tfx_compression.weight_clusterer.config import WeightClustererConfig

COMPONENTS = pytest.mark.parametrize("component, config", [
    ("Pruner", PrunerConfig()),
    ("QuantizationAwareTrainer", QatConfig()),
    ("WeightClusterer", WeightClustererConfig()),
])


def _refused(trained_pipeline, source_uri, out_dir, component, config, match):
  with pytest.raises(UnsupportedModelError, match=match):
    executor_harness.run(
        component, {spec_channels.EXAMPLES_KEY: trained_pipeline.examples,
                    spec_channels.MODEL_KEY: model_artifact(source_uri)},
        out_dir, config)
  assert executor_harness.nothing_published(out_dir)


@COMPONENTS
def test_saved_model_without_keras_metadata_needs_model_fn(
    trained_pipeline, tmp_path, component, config):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  tf.saved_model.save(small_cnn(), str(tmp_path / "src" / "Format-Serving"))
  _refused(trained_pipeline, str(tmp_path / "src"), str(tmp_path / "out"),
           component, config,
           rf"{component} fine-tunes the Keras model, but the model at .* was "
           rf"saved with tf.saved_model.save .*Set model_fn in the "
           rf"{component} config")


@COMPONENTS
def test_tflite_input_is_refused(trained_pipeline, tmp_path, component,
                                 config):
  tflite = tmp_path / "src" / "Format-Serving" / "tflite"
  tflite.parent.mkdir(parents=True)
  tflite.write_bytes(b"TFL3")
  _refused(trained_pipeline, str(tmp_path / "src"), str(tmp_path / "out"),
           component, config,
           f"already holds a TFLite model; {component} takes Keras")
