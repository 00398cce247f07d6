"""Library tests: reading Keras SavedModels and tf.Example files."""

import os

import numpy as np
import pytest

from tfx_compression.framework import artifact_io
from tfx_compression.errors import InputMismatchError
from tfx_compression.errors import UnsupportedModelError
from tfx_compression.lib.data import examples_io
from tfx_compression.lib.keras import saved_model_io


def test_input_specs_of_trained_model(keras_model):
  assert saved_model_io.input_specs(keras_model) == {
      "image": saved_model_io.InputSpec("image", (64,), "float32")}


def test_non_keras_saved_model_is_rejected(tmp_path):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  module = tf.Module()
  module.v = tf.Variable(1.0)
  tf.saved_model.save(module, str(tmp_path))
  with pytest.raises(UnsupportedModelError) as e:
    saved_model_io.load_keras_model(str(tmp_path))
  assert str(tmp_path) in str(e.value)
  assert "is not a Keras model" in str(e.value)
  assert "save_format='tf'" in str(e.value)


def test_directory_without_saved_model_is_rejected(tmp_path):
  (tmp_path / "notes.txt").write_text("x")
  with pytest.raises(UnsupportedModelError,
                     match=r"No SavedModel at .*found \['notes.txt'\]"):
    saved_model_io.load_keras_model(str(tmp_path))


def test_split_feature_keys(trained_pipeline):
  files = artifact_io.split_files(trained_pipeline.examples, "eval")
  assert examples_io.feature_keys(files) == {"image", "label"}


def test_missing_feature_is_named_with_the_fix():
  specs = {"pixels": saved_model_io.InputSpec("pixels", (64,), "float32")}
  with pytest.raises(InputMismatchError) as e:
    examples_io.check_inputs_are_features(specs, {"image", "label"}, "split 'eval'")
  message = str(e.value)
  assert "['pixels']" in message and "['image', 'label']" in message
  assert "name='<feature key>'" in message


def _write_examples(path, values):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  with tf.io.TFRecordWriter(path) as writer:
    for v in values:
      writer.write(tf.train.Example(features=tf.train.Features(feature={
          "image": tf.train.Feature(float_list=tf.train.FloatList(value=v))
      })).SerializeToString())


def test_wrong_feature_length_is_reported(tmp_path):
  path = str(tmp_path / "bad.tfrecord")
  _write_examples(path, [[0.5] * 63])
  specs = {"image": saved_model_io.InputSpec("image", (64,), "float32")}
  with pytest.raises(InputMismatchError, match=r"float32\[64\] \(64 values\)"):
    examples_io.read_inputs([path], specs, limit=5)


def test_read_inputs_honours_limit_and_shape(tmp_path):
  path = str(tmp_path / "ok.tfrecord")
  _write_examples(path, [[i / 10.0] * 64 for i in range(7)])
  specs = {"image": saved_model_io.InputSpec("image", (8, 8), "float32")}
  inputs = examples_io.read_inputs([path], specs, limit=5)
  assert inputs["image"].shape == (5, 8, 8)
  np.testing.assert_allclose(inputs["image"][:, 0, 0], [0, .1, .2, .3, .4])


def test_unknown_split_lists_available(trained_pipeline):
  from tfx_compression.errors import CompressionConfigError  # pylint: disable=g-import-not-at-top
  with pytest.raises(CompressionConfigError,
                     match=r"split 'test' is not a split .* \['train', 'eval'\]"):
    artifact_io.split_files(trained_pipeline.examples, "test")


def test_cleared_on_failure_removes_partial_output(tmp_path):
  (tmp_path / "Format-Serving").mkdir()
  (tmp_path / "Format-Serving" / "tflite").write_bytes(b"partial")
  with pytest.raises(RuntimeError):
    with artifact_io.cleared_on_failure(str(tmp_path)):
      raise RuntimeError("boom")
  assert os.listdir(tmp_path) == []


def _saved_functions(path):
  with open(os.path.join(path, "saved_model.pb"), "rb") as f:
    return f.read().count(b"call_and_return_conditional_losses")


def test_builtin_layer_models_are_saved_without_layer_traces(keras_model,
                                                            eval_inputs,
                                                            tmp_path):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  inputs, _ = eval_inputs
  path = str(tmp_path / "plain")
  saved_model_io.save_keras_model(keras_model, path, dict(keras_model.signatures))
  assert _saved_functions(path) == 0
  loaded = saved_model_io.load_keras_model(path)
  np.testing.assert_allclose(loaded.predict(inputs, verbose=0),
                             keras_model.predict(inputs, verbose=0), atol=1e-6)
  # The serving signature (parses tf.Examples) is saved as before.
  assert set(tf.saved_model.load(path).signatures) == set(keras_model.signatures)


def test_custom_layer_models_keep_their_traces(tmp_path):
  import tf_keras as keras  # pylint: disable=g-import-not-at-top

  class Doubler(keras.layers.Layer):

    def call(self, x):
      return 2.0 * x

  image = keras.Input(shape=(4,), name="image")
  model = keras.Model(image, keras.layers.Dense(2)(Doubler()(image)))
  path = str(tmp_path / "custom")
  saved_model_io.save_keras_model(model, path)
  assert _saved_functions(path) > 0
  # Revived from its traces although the class is not importable.
  loaded = saved_model_io.load_keras_model(path)
  x = np.ones((1, 4), np.float32)
  np.testing.assert_allclose(loaded(x).numpy(), model(x).numpy(), atol=1e-6)


def test_fast_load_equals_keras_load(trained_pipeline, eval_inputs):
  import tf_keras  # pylint: disable=g-import-not-at-top
  path = artifact_io.serving_dir(trained_pipeline.model.uri)
  fast = saved_model_io.load_keras_model(path, compile=True)
  slow = tf_keras.models.load_model(path, compile=True)
  assert not hasattr(fast, "signatures")  # rebuilt from config, not revived
  assert [w.name for w in fast.weights] == [w.name for w in slow.weights]
  for a, b in zip(fast.weights, slow.weights):
    np.testing.assert_array_equal(a.numpy(), b.numpy())
  inputs, _ = eval_inputs
  np.testing.assert_array_equal(fast.predict(inputs, verbose=0),
                                slow.predict(inputs, verbose=0))
  assert fast.optimizer.get_config() == slow.optimizer.get_config()
  assert fast.loss == slow.loss
