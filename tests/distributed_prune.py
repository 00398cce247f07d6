"""Run as a script: prunes a small MLP under fine_tuning.distribution on
2 logical CPU devices (configured before TensorFlow starts), saves the
stripped model, and prints a JSON line of what it saw. Importing it only
defines `build` and `main`."""

import json
import sys

import tfx_compression  # pylint: disable=unused-import  (TF_USE_LEGACY_KERAS)
import tensorflow as tf

# pylint: disable=g-import-not-at-top,wrong-import-position
import numpy as np
import tf_keras as keras
from tfx_compression.fine_tuning import data as tuning_data
from tfx_compression.fine_tuning.config import FineTuning
from tfx_compression.pruner import runner
from tfx_compression.pruner.config import PrunerConfig


def build():
  """64 features -> Dense(16, relu) -> Dense(2, softmax)."""
  image = keras.Input((64,), name="image")
  hidden = keras.layers.Dense(16, activation="relu", name="hidden")(image)
  return keras.Model(image, keras.layers.Dense(
      2, activation="softmax", name="probabilities")(hidden), name="tiny_mlp")


def main(distribution: str, out_dir: str) -> None:
  keras.utils.set_random_seed(0)
  rng = np.random.default_rng(0)
  images = rng.uniform(size=(128, 64)).astype(np.float32)
  labels = (images[:, :32].sum(axis=1) > 16).astype(np.int64)
  model = build()
  model.compile(keras.optimizers.Adam(1e-3),
                "sparse_categorical_crossentropy", metrics=["accuracy"])
  ds = tf.data.Dataset.from_tensor_slices(({"image": images}, labels))
  data = tuning_data.TrainingData(
      train=ds.shuffle(128, seed=0).batch(32, drop_remainder=True),
      eval=ds.batch(128), steps_per_epoch=4, source="arrays")
  config = PrunerConfig(fine_tuning=FineTuning(
      epochs=1, steps_per_epoch=4, batch_size=32, distribution=distribution,
      alpha=1.0))  # no teacher: the mirrored fit and export are the point
  result = runner.prune(model, config, data, f"{out_dir}/logs")
  result.stripped_model.save(f"{out_dir}/model", save_format="tf")
  reloaded = keras.models.load_model(f"{out_dir}/model", compile=False)
  print(json.dumps({
      "replicas": result.replicas,
      "layers": [l.name for l in reloaded.layers],
      "weights": [list(w.shape) for w in reloaded.get_weights()],
      "sparsity": [round(l.sparsity, 3) for l in result.layers],
      "accuracy": result.eval_after["accuracy"]}))


if __name__ == "__main__":
  # Before TensorFlow runs anything; importing this module changes nothing.
  tf.config.set_logical_device_configuration(
      tf.config.list_physical_devices("CPU")[0],
      [tf.config.LogicalDeviceConfiguration()] * 2)
  main(sys.argv[1], sys.argv[2])
