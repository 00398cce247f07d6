"""A regression Trainer module written the ordinary TFX way (run_fn).

CSV -> CsvExampleGen -> Trainer: four float features, a continuous `label`,
a Dense(1) linear output trained on mean squared error, saved with
`model.save(save_format='tf')` under a tf.Example-parsing serving signature.
"""

import tensorflow as tf
import tf_keras as keras

FEATURES = ("x0", "x1", "x2", "x3")
LABEL = "label"
BATCH_SIZE = 32


def _spec(with_label: bool):
  spec = {n: tf.io.FixedLenFeature([1], tf.float32) for n in FEATURES}
  if with_label:
    spec[LABEL] = tf.io.FixedLenFeature([1], tf.float32)
  return spec


def _dataset(files, batch_size: int):
  def parse(serialized):
    features = tf.io.parse_example(serialized, _spec(True))
    return features, features.pop(LABEL)
  files = [f for pattern in files for f in tf.io.gfile.glob(pattern)]
  return tf.data.TFRecordDataset(files, compression_type="GZIP").batch(
      batch_size).map(parse).repeat()


def _build():
  inputs = {n: keras.Input((1,), name=n) for n in FEATURES}
  x = keras.layers.Concatenate()(list(inputs.values()))
  x = keras.layers.Dense(32, activation="relu", name="hidden1")(x)
  x = keras.layers.Dense(16, activation="relu", name="hidden2")(x)
  model = keras.Model(inputs, keras.layers.Dense(1, name="prediction")(x))
  model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse",
                metrics=["mae"])
  return model


def run_fn(fn_args):
  keras.utils.set_random_seed(0)
  model = _build()
  model.fit(_dataset(fn_args.train_files, BATCH_SIZE),
            steps_per_epoch=fn_args.train_steps,
            validation_data=_dataset(fn_args.eval_files, BATCH_SIZE),
            validation_steps=fn_args.eval_steps, verbose=2)

  @tf.function(input_signature=[tf.TensorSpec([None], tf.string,
                                              name="examples")])
  def serve(serialized):
    return {"prediction": model(tf.io.parse_example(serialized,
                                                    _spec(False)))}

  model.save(fn_args.serving_model_dir, save_format="tf",
             signatures={"serving_default": serve})
