"""Tiny Keras models built at test time (no binary model is committed)."""


def small_cnn(input_name: str = "image"):
  """An untrained tiny CNN with the digits input layout, for library tests."""
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  keras.utils.set_random_seed(1)
  image = keras.Input(shape=(64,), name=input_name)
  x = keras.layers.Reshape((8, 8, 1))(image)
  x = keras.layers.Conv2D(8, 3, activation="relu")(x)
  x = keras.layers.Flatten()(x)
  x = keras.layers.Dense(32, activation="relu")(x)
  out = keras.layers.Dense(10, activation="softmax", name="probabilities")(x)
  return keras.Model(image, out)


def wider_cnn():
  """A compiled CNN like `small_cnn` but with 16 filters (another architecture)."""
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  image = keras.Input(shape=(64,), name="image")
  x = keras.layers.Reshape((8, 8, 1))(image)
  x = keras.layers.Conv2D(16, 3, activation="relu")(x)
  x = keras.layers.Flatten()(x)
  x = keras.layers.Dense(32, activation="relu")(x)
  out = keras.layers.Dense(10, activation="softmax", name="probabilities")(x)
  model = keras.Model(image, out)
  model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
  return model


def save_keras(model, path: str) -> str:
  """Saves `model` as a Keras SavedModel at `path`; returns `path`."""
  model.save(path, save_format="tf")
  return path


def model_artifact(uri: str):
  """A Model artifact at `uri` (as a Trainer would publish it)."""
  from tfx.types import standard_artifacts  # pylint: disable=g-import-not-at-top
  artifact = standard_artifacts.Model()
  artifact.uri = uri
  return artifact


def tflite_model_artifact(uri: str, model_bytes: bytes):
  """A Model artifact at `uri` holding `model_bytes` as its TFLite model."""
  from tfx_compression.framework import artifact_io  # pylint: disable=g-import-not-at-top
  artifact_io.write_bytes(artifact_io.tflite_path(uri), model_bytes)
  return model_artifact(uri)


def flex_model():
  """x -> an op with no TFLite builtin (UpperBound, tft.bucketize's) -> p."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  keras.utils.set_random_seed(0)
  x = keras.Input((1,), name="x")
  buckets = keras.layers.Lambda(lambda v: tf.cast(tf.reshape(tf.searchsorted(
      tf.constant([[0.2, 0.5, 0.8]]), tf.reshape(v, [1, -1]), side="right"),
      [-1, 1]), tf.float32))(x)
  return keras.Model(x, keras.layers.Dense(1, activation="sigmoid",
                                           name="p")(buckets))


def int8_fragile():
  """Digits layout -> ten nearly equal softmax scores: float's argmax is 9
  or 0 by the sign of x.w, int8 rounds the scores equal (argmax 0), so the
  int8 model disagrees on about half of the examples, always."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  image = keras.Input(shape=(64,), name="image")
  dense = keras.layers.Dense(10, use_bias=False, activation="softmax",
                             name="probabilities")
  model = keras.Model(image, dense(image))
  w = np.random.default_rng(0).normal(size=(64, 1))
  dense.set_weights([w * (1 + 1e-4 * np.arange(10))])
  return model


def random_training_data(shape=(64,), classes: int = 10, examples: int = 64,
                         batch_size: int = 16, steps_per_epoch: int = 4):
  """Uniform random `image` features and labels as fine-tuning TrainingData
  (for runner tests that check structure, not accuracy)."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from tfx_compression.fine_tuning import data as tuning_data  # pylint: disable=g-import-not-at-top
  rng = np.random.default_rng(0)
  ds = tf.data.Dataset.from_tensor_slices((
      {"image": rng.uniform(size=(examples,) + tuple(shape)).astype(
          np.float32)}, rng.integers(0, classes, examples)))
  return tuning_data.TrainingData(
      train=ds.batch(batch_size, drop_remainder=True).repeat(),
      eval=ds.batch(examples), steps_per_epoch=steps_per_epoch,
      source="arrays")
