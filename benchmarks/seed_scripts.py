"""The seeds' hand-written recipes: plain TensorFlow / tfmot / TFLite, no TFX.

What a user writes without our components (seed 000): read the Trainer's
tf.Examples, prune with a tfmot schedule, QAT, convert, and calibrate PTQ on
the first 100 training rows. Same hyper-parameters as the components are
given in `compression_benchmark`, so accuracy, size and wall time compare
like for like.
"""

import glob
import math
import os

BATCH = 32


class TfRecords:
  """The Trainer's tf.Example files and SavedModel (seed 000 reads these)."""

  def __init__(self, examples_uri, model_dir, image_size=64):
    self.examples_uri, self.model_dir = examples_uri, model_dir
    self.image_size = image_size

  def _files(self, split):
    return sorted(glob.glob(os.path.join(self.examples_uri, f"Split-{split}",
                                         "*")))

  def dataset(self, split, shuffle):
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    spec = {"image": tf.io.FixedLenFeature([self.image_size], tf.float32),
            "label": tf.io.FixedLenFeature([], tf.int64)}
    ds = tf.data.TFRecordDataset(self._files(split), compression_type="GZIP")
    ds = ds.shuffle(10000) if shuffle else ds
    return ds.batch(BATCH).map(lambda s: tf.io.parse_example(s, spec)).map(
        lambda f: ({"image": f["image"]}, f["label"]))

  def steps_per_epoch(self):
    """Training steps per epoch at batch 32 (the components' default)."""
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    n = sum(1 for _ in tf.data.TFRecordDataset(self._files("train"),
                                               compression_type="GZIP"))
    return math.ceil(n / BATCH)

  def first_rows(self, n=100):
    """The first `n` training rows in file order: seed 000's calibration set."""
    batches = self.dataset("train", shuffle=False).unbatch().take(n)
    return [features["image"].numpy()[None, :] for features, _ in batches]

  def load_model(self):
    import tf_keras as keras  # pylint: disable=g-import-not-at-top
    return keras.models.load_model(self.model_dir)


class Arrays(TfRecords):
  """The same recipes on in-memory (image rows, labels) splits."""

  def __init__(self, train, model_fn):
    super().__init__(None, None)
    self.train, self.model_fn = train, model_fn

  def dataset(self, split, shuffle):
    del split  # the recipes read only the training split
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    images, labels = self.train
    ds = tf.data.Dataset.from_tensor_slices(({"image": images}, labels))
    return (ds.shuffle(10000) if shuffle else ds).batch(BATCH)

  def steps_per_epoch(self):
    return math.ceil(len(self.train[1]) / BATCH)

  def load_model(self):
    return self.model_fn()


def steps_per_epoch(examples_uri):
  """Training steps per epoch at batch 32 (the components' default)."""
  return TfRecords(examples_uri, None).steps_per_epoch()


def _fit(model, source, epochs, learning_rate, callbacks=()):
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  model.compile(keras.optimizers.Adam(learning_rate),
                "sparse_categorical_crossentropy", ["accuracy"])
  model.fit(source.dataset("train", True).repeat(), epochs=epochs,
            steps_per_epoch=source.steps_per_epoch(), callbacks=list(callbacks),
            verbose=0)


def _convert_int8(model, calibration=None):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  converter = tf.lite.TFLiteConverter.from_keras_model(model)
  converter.optimizations = [tf.lite.Optimize.DEFAULT]
  if calibration is not None:
    converter.representative_dataset = lambda: ([row] for row in calibration)
    converter.target_spec.supported_ops = [
        tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
  return converter.convert()


def ptq_int8(source) -> bytes:
  """Full int8 PTQ calibrated on the first 100 training rows.

  Args:
    source: a `TfRecords` or `Arrays`.
  """
  return _convert_int8(source.load_model(), source.first_rows())


def qat_int8(source, epochs, learning_rate) -> bytes:
  """quantize_model, fine-tune, convert."""
  import tensorflow_model_optimization as tfmot  # pylint: disable=g-import-not-at-top
  model = tfmot.quantization.keras.quantize_model(source.load_model())
  _fit(model, source, epochs, learning_rate)
  return _convert_int8(model)


def prune_pqat_int8(source, keep, schedule, epochs, learning_rate, qat_epochs,
                    qat_learning_rate) -> bytes:
  """Prune (layers in `keep` stay dense), strip, pruning-preserving QAT, convert.

  Args:
    schedule: a tfmot pruning schedule.
  """
  import tensorflow_model_optimization as tfmot  # pylint: disable=g-import-not-at-top
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  sparsity = tfmot.sparsity.keras
  model = source.load_model()
  prunable = (keras.layers.Conv2D, keras.layers.Dense)
  pruned = keras.models.clone_model(model, clone_function=lambda l: (
      sparsity.prune_low_magnitude(l, pruning_schedule=schedule)
      if isinstance(l, prunable) and l.name not in keep else l))
  for layer in pruned.layers:  # unpruned layers stay as trained
    if layer.weights and not layer.name.startswith("prune_low_magnitude_"):
      layer.trainable = False
  _fit(pruned, source, epochs, learning_rate, [sparsity.UpdatePruningStep()])
  stripped = sparsity.strip_pruning(pruned)
  for layer in stripped.layers:
    layer.trainable = True
  quantization = tfmot.quantization.keras
  pqat = quantization.quantize_apply(
      quantization.quantize_annotate_model(stripped),
      tfmot.experimental.combine.Default8BitPrunePreserveQuantizeScheme())
  _fit(pqat, source, qat_epochs, qat_learning_rate)
  return _convert_int8(pqat)
