"""A new user's Trainer module for scikit-learn's wine data (178 rows), written
like TFX's penguin_simple tutorial: TFXIO's repeating dataset, one Input per
feature, concatenated raw, a Keras `Normalization` layer, three logits.

`write_csv` writes the data the way such a user would export it.
"""

import tensorflow as tf
import tf_keras as keras
from tfx_bsl.public import tfxio
from tensorflow_transform.tf_metadata import schema_utils

FEATURES = ("alcohol", "malic_acid", "ash", "alcalinity", "magnesium",
            "phenols", "flavanoids", "nonflavanoid", "proanthocyanins",
            "color", "hue", "od280", "proline")
LABEL = "target"
_SPEC = {**{f: tf.io.FixedLenFeature([1], tf.float32) for f in FEATURES},
         LABEL: tf.io.FixedLenFeature([1], tf.int64)}


def write_csv(path: str, with_label: bool = True) -> str:
  """scikit-learn's wine data as a CSV with a header; returns `path`."""
  from sklearn import datasets  # pylint: disable=g-import-not-at-top
  wine = datasets.load_wine()
  columns = FEATURES + ((LABEL,) if with_label else ())
  with open(path, "w") as f:
    f.write(",".join(columns) + "\n")
    for row, target in zip(wine.data, wine.target):
      values = [f"{v:.3f}" for v in row] + ([str(target)] if with_label else [])
      f.write(",".join(values) + "\n")
  return path


def _input_fn(files, data_accessor, batch_size: int):
  schema = schema_utils.schema_from_feature_spec(_SPEC)
  return data_accessor.tf_dataset_factory(
      files, tfxio.TensorFlowDatasetOptions(batch_size=batch_size,
                                            label_key=LABEL),
      schema=schema).repeat()


def run_fn(fn_args):
  keras.utils.set_random_seed(0)
  train = _input_fn(fn_args.train_files, fn_args.data_accessor, 32)
  evaluation = _input_fn(fn_args.eval_files, fn_args.data_accessor, 32)
  inputs = [keras.Input((1,), name=f) for f in FEATURES]
  raw = keras.layers.concatenate(inputs)
  normalize = keras.layers.Normalization()
  normalize.adapt(train.take(8).map(
      lambda x, _: tf.concat([x[f] for f in FEATURES], axis=-1)))
  hidden = keras.layers.Dense(16, activation="relu")(normalize(raw))
  model = keras.Model(inputs, keras.layers.Dense(3)(hidden))
  model.compile(
      optimizer=keras.optimizers.Adam(0.01),
      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
      metrics=[keras.metrics.SparseCategoricalAccuracy()])
  model.fit(train, steps_per_epoch=fn_args.train_steps,
            validation_data=evaluation, validation_steps=fn_args.eval_steps,
            epochs=1, verbose=2)
  model.save(fn_args.serving_model_dir, save_format="tf")
