"""Trainer module for the digits demo: a small Keras CNN on 8x8 images.

Use it as the Trainer's `run_fn`:
`Trainer(run_fn="tfx_compression.pipelines.digits_trainer.run_fn", ...)`.
The exported SavedModel's `serving_default` parses serialized tf.Examples;
the Keras Input is named after the feature it reads (`image`), so TFLite
conversion and TFMA feed it by name.
"""

# pylint: disable=g-import-not-at-top
from tfx_compression.errors import CompressionConfigError
from tfx_compression.lib.keras import saved_model_io
from tfx_compression.pipelines import digits_data
from tfx_compression.pipelines import digits_models

DEFAULT_EPOCHS = 12
DEFAULT_BATCH_SIZE = 32
DEFAULT_LEARNING_RATE = 2e-3
OUTPUT_KEY = digits_models.OUTPUT_KEY
CONFIG_KEYS = ("epochs", "batch_size", "learning_rate")


def build_model(learning_rate: float = DEFAULT_LEARNING_RATE, build=None):
  """Returns the compiled digits CNN (or `build()`'s model)."""
  import tf_keras as keras
  model = (build or digits_models.cnn)()
  model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                loss="sparse_categorical_crossentropy",
                metrics=["sparse_categorical_accuracy"])
  return model


def _feature_spec():
  import tensorflow as tf
  size = digits_data.IMAGE_SIZE
  return {
      digits_data.IMAGE_KEY: tf.io.FixedLenFeature([size * size], tf.float32),
      digits_data.LABEL_KEY: tf.io.FixedLenFeature([], tf.int64),
  }


def _dataset(files, batch_size: int, shuffle: bool):
  import tensorflow as tf
  paths = sorted(p for pattern in files for p in tf.io.gfile.glob(pattern))
  ds = tf.data.TFRecordDataset(paths, compression_type="GZIP")
  if shuffle:
    ds = ds.shuffle(4096, seed=0, reshuffle_each_iteration=True)
  # Training drops the last partial batch: BatchNormalization on a batch of
  # 2 (1,442 examples in batches of 32) derailed MobileNetV2 training.
  ds = ds.batch(batch_size, drop_remainder=shuffle).map(
      lambda s: tf.io.parse_example(s, _feature_spec()))
  return ds.map(lambda f: ({digits_data.IMAGE_KEY: f[digits_data.IMAGE_KEY]},
                           f[digits_data.LABEL_KEY]))


def _serving_fn(model):
  """serving_default: serialized tf.Example strings -> class probabilities."""
  import tensorflow as tf
  spec = {digits_data.IMAGE_KEY: _feature_spec()[digits_data.IMAGE_KEY]}

  @tf.function(input_signature=[tf.TensorSpec([None], tf.string,
                                              name="examples")])
  def serve_tf_examples(serialized):
    features = tf.io.parse_example(serialized, spec)
    return {OUTPUT_KEY: model(features)}

  return serve_tf_examples


def settings(config, extra_keys=()):
  """(epochs, batch_size, learning_rate) from the Trainer's custom_config.

  Raises:
    CompressionConfigError: a key outside CONFIG_KEYS + `extra_keys`.
  """
  allowed = CONFIG_KEYS + tuple(extra_keys)
  unknown = sorted(set(config) - set(allowed))
  if unknown:
    raise CompressionConfigError(
        f"custom_config key(s) {unknown} are not read by this Trainer; "
        f"allowed: {list(allowed)} (the MobileNetV2 recipe is the "
        "benchmarks' run_fn, benchmarks/mobilenet.py)")
  return (int(config.get("epochs", DEFAULT_EPOCHS)),
          int(config.get("batch_size", DEFAULT_BATCH_SIZE)),
          float(config.get("learning_rate", DEFAULT_LEARNING_RATE)))


def train(fn_args, build=None, callbacks=(), extra_keys=()) -> None:
  """Trains `build()`'s model (default: the CNN) and exports it.

  `extra_keys`: custom_config keys the caller reads besides CONFIG_KEYS.
  """
  import tf_keras as keras
  from tfx_compression.lib.keras import tf_setup
  tf_setup.skip_autograph_for_keras()
  keras.utils.set_random_seed(0)
  epochs, batch_size, rate = settings(fn_args.custom_config or {},
                                      extra_keys)
  model = build_model(rate, build)
  train_data = _dataset(fn_args.train_files, batch_size, shuffle=True)
  evaluation = _dataset(fn_args.eval_files, 256, shuffle=False)
  model.fit(train_data, epochs=epochs, validation_data=evaluation, verbose=2,
            callbacks=[keras.callbacks.TensorBoard(fn_args.model_run_dir),
                       *callbacks])
  # Without per-layer traces (45 s of a MobileNetV2 save): all its layers
  # are Keras', rebuilt from their config when loaded.
  saved_model_io.save_keras_model(model, fn_args.serving_model_dir,
                            {"serving_default": _serving_fn(model)})


def run_fn(fn_args) -> None:
  """TFX Trainer entry point.

  custom_config keys (all optional): `epochs`, `batch_size`, `learning_rate`.
  """
  train(fn_args)
