"""The embedded default data: scikit-learn's digits as tf.Example TFRecords.

1,797 real 8x8 grey-scale images of handwritten digits, 10 classes. Each
example has `image` (64 floats in [0, 1], row-major) and `label` (int64).
"""

import os

IMAGE_KEY = "image"
LABEL_KEY = "label"
IMAGE_SIZE = 8
NUM_CLASSES = 10
FILE_NAME = "digits.tfrecord"


def load_digits_arrays():
  """Returns (images float32 [n, 64] in [0, 1], labels int64 [n])."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  from tfx_compression import extras  # pylint: disable=g-import-not-at-top
  datasets = extras.require("sklearn.datasets", extras.DEMO,
                            "The demo's digits data", "scikit-learn")
  digits = datasets.load_digits()
  images = (digits.data / 16.0).astype(np.float32)
  return images, digits.target.astype(np.int64)


def write_digits_tfrecords(directory: str) -> str:
  """Writes the digits as uncompressed TFRecords into `directory`.

  Returns:
    `directory`, to be used as an ImportExampleGen `input_base`. Existing
    files are kept, so repeated runs give identical input fingerprints.
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  path = os.path.join(directory, FILE_NAME)
  if tf.io.gfile.exists(path):
    return directory
  tf.io.gfile.makedirs(directory)
  images, labels = load_digits_arrays()
  tmp = path + ".tmp"
  with tf.io.TFRecordWriter(tmp) as writer:
    for image, label in zip(images, labels):
      example = tf.train.Example(features=tf.train.Features(feature={
          IMAGE_KEY: tf.train.Feature(
              float_list=tf.train.FloatList(value=image.tolist())),
          LABEL_KEY: tf.train.Feature(
              int64_list=tf.train.Int64List(value=[int(label)])),
      }))
      writer.write(example.SerializeToString())
  tf.io.gfile.rename(tmp, path, overwrite=True)
  return directory
