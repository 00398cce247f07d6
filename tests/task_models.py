"""Tabular models of every task, written the ordinary TFX way, with their data.

Each model reads four float features (`x0`..`x3`) through Keras Inputs of
the same names and is saved with `model.save(save_format='tf')` under a
serving signature that parses serialized tf.Examples, as a TFX Trainer's
`run_fn` does. The label is `label`: 0/1 for the binary models, a real
number for the regression model.
"""

import dataclasses
import os
from typing import Dict, List

import numpy as np

FEATURES = ("x0", "x1", "x2", "x3")
LABEL = "label"
_WEIGHTS = np.array([1.5, -2.0, 0.7, 1.0])


def rows(n: int, seed: int, task: str):
  """(features [n, 4], labels [n]) of a task: 'binary' or 'regression'."""
  rng = np.random.default_rng(seed)
  x = rng.normal(size=(n, len(FEATURES))).astype(np.float32)
  signal = x @ _WEIGHTS + 0.5 * np.sin(2.0 * x[:, 0])
  if task == "binary":
    noisy = signal + rng.normal(scale=0.8, size=n)
    return x, (noisy > 0).astype(np.int64)
  return x, (3.0 * signal + 10.0 + rng.normal(scale=1.0, size=n)).astype(
      np.float32)


def serialize(x: np.ndarray, labels: np.ndarray) -> List[bytes]:
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  records = []
  for features, label in zip(x, labels):
    feature = {name: tf.train.Feature(float_list=tf.train.FloatList(
        value=[float(v)])) for name, v in zip(FEATURES, features)}
    feature[LABEL] = (
        tf.train.Feature(int64_list=tf.train.Int64List(value=[int(label)]))
        if np.issubdtype(labels.dtype, np.integer) else
        tf.train.Feature(float_list=tf.train.FloatList(value=[float(label)])))
    records.append(tf.train.Example(features=tf.train.Features(
        feature=feature)).SerializeToString())
  return records


def build(kind: str, seed: int = 0):
  """A compiled model: 'sigmoid', 'logit' (binary) or 'regression'."""
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  keras.utils.set_random_seed(seed)
  inputs = {n: keras.Input((1,), name=n) for n in FEATURES}
  x = keras.layers.Concatenate()(list(inputs.values()))
  x = keras.layers.Dense(16, activation="relu", name="hidden")(x)
  activation = "sigmoid" if kind == "sigmoid" else None
  out = keras.layers.Dense(1, activation=activation, name="score")(x)
  model = keras.Model(inputs, out)
  loss = {"sigmoid": "binary_crossentropy",
          "logit": keras.losses.BinaryCrossentropy(from_logits=True),
          "regression": "mse"}[kind]
  model.compile(optimizer=keras.optimizers.Adam(0.02), loss=loss)
  return model


def save_serving(model, path: str) -> str:
  """Saves `model` with a tf.Example-parsing serving_default (Trainer style)."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  spec = {n: tf.io.FixedLenFeature([1], tf.float32) for n in FEATURES}

  @tf.function(input_signature=[tf.TensorSpec([None], tf.string,
                                              name="examples")])
  def serve(serialized):
    return {"score": model(tf.io.parse_example(serialized, spec))}

  model.save(path, save_format="tf", signatures={"serving_default": serve})
  return path


@dataclasses.dataclass(frozen=True)
class TaskCase:
  """A trained model of one task, its Model artifact and its Examples."""

  kind: str
  model: object  # the trained Keras model (do not modify)
  artifact: object  # Model artifact (Format-Serving)
  examples: object  # Examples artifact with splits train, eval


def train(kind: str, workdir: str, epochs: int = 30) -> TaskCase:
  """Trains `kind` on 800 rows; writes its Examples and Model artifacts."""
  from model_factories import model_artifact  # pylint: disable=g-import-not-at-top
  from reliability_inputs import examples_artifact  # pylint: disable=g-import-not-at-top
  task = "regression" if kind == "regression" else "binary"
  x, y = rows(800, 0, task)
  x_eval, y_eval = rows(300, 1, task)
  examples = examples_artifact(os.path.join(workdir, "examples"), {
      "train": serialize(x, y), "eval": serialize(x_eval, y_eval)})
  model = build(kind)
  model.fit(as_inputs(x), y.astype(np.float32), epochs=epochs, batch_size=64,
            verbose=0)
  uri = os.path.join(workdir, "model")
  save_serving(model, os.path.join(uri, "Format-Serving"))
  return TaskCase(kind, model, model_artifact(uri), examples)


def as_inputs(x: np.ndarray) -> Dict[str, np.ndarray]:
  return {n: x[:, i:i + 1] for i, n in enumerate(FEATURES)}


def edited_copy(model, scale: float = 1.0, shift: float = 0.0, seed=None):
  """`model` with its score layer's output z mapped to scale * z + shift
  (before the activation); with `seed`, every weight random instead."""
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  copy = keras.models.clone_model(model)
  copy.set_weights(model.get_weights())
  if seed is not None:
    rng = np.random.default_rng(seed)
    copy.set_weights([rng.normal(size=w.shape).astype(np.float32)
                      for w in model.get_weights()])
    return copy
  kernel, bias = copy.get_layer("score").get_weights()
  copy.get_layer("score").set_weights([kernel * scale, bias * scale + shift])
  return copy
