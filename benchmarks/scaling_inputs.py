"""The scaling benchmark's splits and models (issue #29).

- tabular: `sampler_throughput`'s split (8 floats and an int64 label) and two
  TFLite sides (float, int8) of an 8-32-10 MLP;
- images: the demo's digits (scikit-learn, 8x8) made into a split of any size
  (each image repeated with its own small noise, so records are distinct) and
  two TFLite sides (float, int8) of the demo CNN trained on the digits.
Both splits are 8 gzipped shards of hand-encoded tf.Examples.
"""

import os
import types

NUM_SHARDS = 8


def _varint(n: int) -> bytes:
  out = bytearray()
  while True:
    byte, n = n & 0x7F, n >> 7
    out.append(byte | (0x80 if n else 0))
    if not n:
      return bytes(out)


def _field(tag: int, payload: bytes) -> bytes:
  """A length-delimited protobuf field."""
  return bytes([tag]) + _varint(len(payload)) + payload


def encode_image(values: bytes, label: int) -> bytes:
  """tf.Example {image: float32 values (little-endian bytes), label: int64}."""
  image = _field(0x12, _field(0x0A, values))  # Feature.float_list, packed.
  label = _field(0x1A, _field(0x0A, _varint(label)))  # Feature.int64_list.
  entry = lambda key, feature: _field(0x0A, _field(0x0A, key) +
                                      _field(0x12, feature))
  return _field(0x0A, entry(b"image", image) + entry(b"label", label))


def generate_images(directory: str, num_examples: int) -> None:
  """Writes `num_examples` digits (64 floats in [0, 1]) in NUM_SHARDS shards."""
  import tfx_compression  # pylint: disable=unused-import,g-import-not-at-top
  import numpy as np  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from tfx_compression.pipelines import digits_data  # pylint: disable=g-import-not-at-top
  images, labels = digits_data.load_digits_arrays()
  parsed = tf.train.Example.FromString(
      encode_image(images[0].astype("<f4").tobytes(), int(labels[0])))
  assert np.allclose(parsed.features.feature["image"].float_list.value,
                     images[0])
  assert list(parsed.features.feature["label"].int64_list.value) == [
      labels[0]]
  rng = np.random.default_rng(0)
  per_shard = -(-num_examples // NUM_SHARDS)
  os.makedirs(directory, exist_ok=True)
  for shard in range(NUM_SHARDS):
    index = np.arange(shard * per_shard,
                      min(num_examples, (shard + 1) * per_shard))
    noisy = np.clip(images[index % len(images)] + rng.normal(
        0, 0.02, (len(index), images.shape[1])), 0, 1).astype("<f4")
    path = os.path.join(directory,
                        f"data_tfrecord-{shard:05d}-of-{NUM_SHARDS:05d}.gz")
    with tf.io.TFRecordWriter(path, "GZIP") as writer:
      for row, i in zip(noisy, index):
        writer.write(encode_image(row.tobytes(), int(labels[i % len(labels)])))


def _sides(model, key: str, width: int, calib) -> list:
  """Evaluator sides (float and int8 TFLite) of `model` over feature `key`."""
  # pylint: disable=g-import-not-at-top
  from tfx_compression.compression_evaluator import predictors
  from tfx_compression.lib.conversion import tflite_converter
  from tfx_compression.lib.data import feature_space
  from tfx_compression.lib.keras.saved_model_info import FeatureInfo
  from tfx_compression.lib.keras.saved_model_io import InputSpec
  from tfx_compression.lib.quantization import ptq_convert
  # pylint: enable=g-import-not-at-top
  space = feature_space.FeatureSpace(
      parse={key: FeatureInfo(key, "float32", (width,))},
      inputs={key: InputSpec(key, (width,), "float32")}, description=key)
  models = {"candidate": ptq_convert.quantize(model, "int8", "float32",
                                              {key: calib}).model_bytes,
            "baseline": tflite_converter.convert_keras(model)}
  return [types.SimpleNamespace(
      source=types.SimpleNamespace(role=role),
      predictor=predictors.Predictor(role, predictors.TFLITE,
                                     tflite_bytes=data, space=space))
          for role, data in models.items()]


def tabular_sides() -> list:
  """Float and int8 TFLite of an (untrained) 8-32-10 MLP over feature `x`."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  keras.utils.set_random_seed(0)
  x = keras.Input((8,), name="x")
  model = keras.Model(x, keras.layers.Dense(10, activation="softmax")(
      keras.layers.Dense(32, activation="relu")(x)))
  calib = np.random.default_rng(0).uniform(size=(64, 8)).astype(np.float32)
  return _sides(model, "x", 8, calib)


def cnn_sides() -> list:
  """Float and int8 TFLite of the demo CNN, trained on the digits."""
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  from tfx_compression.pipelines import digits_data, digits_models  # pylint: disable=g-import-not-at-top
  keras.utils.set_random_seed(0)
  images, labels = digits_data.load_digits_arrays()
  model = digits_models.cnn()
  model.compile("adam", "sparse_categorical_crossentropy")
  model.fit(images, labels, epochs=5, batch_size=64, verbose=0)
  return _sides(model, digits_data.IMAGE_KEY, 64, images[:200])
