"""Run as a script: fine-tunes a small MLP under fine_tuning.distribution
with the Pruner (magnitude and channel) and the QuantizationAwareTrainer,
exports each model as a plain SavedModel (QAT also as int8 TFLite), and
prints a JSON line of what it saw.

  distributed_fine_tune.py mirrored OUT [KIND ...]
      2 logical CPU devices, configured before TensorFlow starts.
  distributed_fine_tune.py multi_worker_mirrored OUT [KIND ...]
      one worker of the cluster in TF_CONFIG; only the chief writes OUT.

KIND is 'prune', 'channel', 'qat', 'pqat' (QAT with the prune-preserving
scheme of an input whose kernels are 60 % zeros) or 'cqat' (the
cluster-preserving scheme of an input whose kernels hold 4 values each);
default: all five. Importing this module only defines `build` and `main`.
"""

import json
import os
import sys

import tfx_compression  # pylint: disable=unused-import  (TF_USE_LEGACY_KERAS)
import tensorflow as tf

# pylint: disable=g-import-not-at-top,wrong-import-position
import numpy as np
import tf_keras as keras
from tfx_compression.fine_tuning import data as tuning_data
from tfx_compression.fine_tuning.config import FineTuning
from tfx_compression.lib.training import distribution as distribution_lib

KINDS = ("prune", "channel", "qat", "pqat", "cqat")
QAT_KINDS = {"qat": "default_8bit", "pqat": "prune_preserve",
             "cqat": "cluster_preserve"}
SPARSITY = 0.6  # pqat's input
CLUSTERS = 4  # cqat's input


def build():
  """64 features -> Dense(16, relu) -> Dense(2, softmax)."""
  image = keras.Input((64,), name="image")
  hidden = keras.layers.Dense(16, activation="relu", name="hidden")(image)
  return keras.Model(image, keras.layers.Dense(
      2, activation="softmax", name="probabilities")(hidden), name="tiny_mlp")


def _data():
  rng = np.random.default_rng(0)
  images = rng.uniform(size=(128, 64)).astype(np.float32)
  labels = (images[:, :32].sum(axis=1) > 16).astype(np.int64)
  ds = tf.data.Dataset.from_tensor_slices(({"image": images}, labels))
  return images, tuning_data.TrainingData(
      train=ds.shuffle(128, seed=0).batch(32, drop_remainder=True).repeat(),
      eval=ds.batch(128), steps_per_epoch=4, source="arrays")


def _sparse_or_clustered(model, kind: str) -> None:
  """pqat: each kernel's smallest 60 % set to zero; cqat: each kernel's
  values replaced by the nearest of 4 evenly spaced centroids."""
  for layer in model.layers:
    if getattr(layer, "kernel", None) is None:
      continue
    kernel, *rest = layer.get_weights()
    if kind == "pqat":
      kernel = np.where(np.abs(kernel) < np.quantile(np.abs(kernel), SPARSITY),
                        0, kernel)
    else:
      centroids = np.linspace(kernel.min(), kernel.max(), CLUSTERS)
      kernel = centroids[np.abs(kernel[..., None] - centroids).argmin(-1)]
    layer.set_weights([kernel.astype(np.float32), *rest])


def _fine_tune(kind: str, distribution: str, data, log_dir: str):
  """(the exported Keras model, replicas, a summary) for one component."""
  keras.utils.set_random_seed(0)
  model = build()
  if kind in ("pqat", "cqat"):
    _sparse_or_clustered(model, kind)
  model.compile(keras.optimizers.Adam(1e-3),
                "sparse_categorical_crossentropy", metrics=["accuracy"])
  tuning = FineTuning(epochs=1, steps_per_epoch=4, batch_size=32,
                      distribution=distribution,
                      alpha=1.0)  # no teacher: the distributed fit is the point
  if kind in QAT_KINDS:
    from tfx_compression.quantization_aware_trainer import runner
    from tfx_compression.quantization_aware_trainer.config import QatConfig
    result = runner.train(
        model, QatConfig(fine_tuning=tuning, scheme=QAT_KINDS[kind]), data,
        log_dir, clustered=kind == "cqat")
    return result.qat_model, result.replicas, {
        "accuracy": result.eval_qat["accuracy"],
        "scheme": result.scheme.value}
  from tfx_compression.pruner.config import PrunerConfig
  if kind == "channel":
    from tfx_compression.pruner import channel_runner
    from tfx_compression.pruner.config import ChannelPruning
    config = PrunerConfig(granularity="channel", schedule=None,
                          channels=ChannelPruning(ratio=0.5, latency_runs=1),
                          fine_tuning=tuning)
    result = channel_runner.prune(model, config, data, log_dir)
    return result.model, result.replicas, {
        "accuracy": result.eval_after["accuracy"]}
  from tfx_compression.pruner import runner
  result = runner.prune(model, PrunerConfig(fine_tuning=tuning), data, log_dir)
  return result.stripped_model, result.replicas, {
      "accuracy": result.eval_after["accuracy"],
      "sparsity": [round(l.sparsity, 3) for l in result.layers]}


def _qat_tflite(qat_model, images) -> dict:
  """The plain QAT model converted to int8 TFLite, checked against Keras."""
  from tfx_compression.lib.sparsity import clustering
  from tfx_compression.lib.tflite import benchmark, inference
  from tfx_compression.lib.options.quantization import IoType
  from tfx_compression.quantization_aware_trainer import runner
  converted = runner.to_tflite(qat_model, IoType.FLOAT32,
                               {"image": images[:32]}, 0.9)
  lite = inference.predict(converted.model_bytes, {"image": images[:32]})
  keras_out = qat_model.predict(images[:32], verbose=0)
  return {"tflite_bytes": len(converted.model_bytes),
          "tflite_sparsity": benchmark.weight_sparsity(converted.model_bytes),
          "tflite_unique_values": clustering.tflite_kernel_unique_values(
              converted.model_bytes),
          "tflite_max_abs_diff": float(np.max(np.abs(
              np.asarray(list(lite.values())[0]) - keras_out)))}


def main(distribution: str, out_dir: str, kinds=KINDS) -> None:
  distribution_lib.start(distribution)  # before TensorFlow runs anything
  images, data = _data()
  chief = distribution_lib.is_chief()
  seen = {"chief": chief}
  for kind in kinds:
    model, replicas, summary = _fine_tune(
        kind, distribution, data, os.path.join(out_dir, "logs", kind))
    summary["replicas"] = replicas
    if chief:
      path = os.path.join(out_dir, kind)
      model.save(path, save_format="tf")
      reloaded = keras.models.load_model(path, compile=False)
      summary["layers"] = [l.name for l in reloaded.layers]
      summary["weights"] = [list(w.shape) for w in reloaded.get_weights()]
    if kind in QAT_KINDS and chief:
      summary.update(_qat_tflite(model, images))
    seen[kind] = summary
  print(json.dumps(seen))


if __name__ == "__main__":
  if sys.argv[1] == "mirrored":
    # Before TensorFlow runs anything; importing this module changes nothing.
    tf.config.set_logical_device_configuration(
        tf.config.list_physical_devices("CPU")[0],
        [tf.config.LogicalDeviceConfiguration()] * 2)
  main(sys.argv[1], sys.argv[2], tuple(sys.argv[3:]) or KINDS)
