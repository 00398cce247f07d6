"""Keras architectures for the digits data: the demo CNN and a MobileNetV2.

Both read the 64-float `image` feature (Keras Input named after it) and end in
a softmax layer named `probabilities`, so TFLite conversion and TFMA feed and
read them by name. Both build flat functional models (no nested Model), which
tfmot needs to prune and quantize layer by layer.
"""

from tfx_compression.errors import CompressionConfigError
from tfx_compression.pipelines import digits_data

OUTPUT_KEY = "probabilities"
CNN = "cnn"
MOBILENET_V2 = "mobilenet_v2"
ARCHITECTURES = (CNN, MOBILENET_V2)
# MobileNetV2 needs at least 32x32: the 8x8 digits are upsampled 4x.
MOBILENET_INPUT_SIZE = 32
# Keras' MobileNetV2 uses BatchNorm momentum 0.999, which leaves the moving
# statistics near their initial values after the ~600 steps digits allows
# (eval accuracy at chance); 0.9 tracks them (STACK.md).
MOBILENET_BN_MOMENTUM = 0.9


def _image():
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  size = digits_data.IMAGE_SIZE
  image = keras.Input(shape=(size * size,), name=digits_data.IMAGE_KEY)
  return image, keras.layers.Reshape((size, size, 1), name="to_image")(image)


def cnn():
  """64 floats -> 8x8x1 -> two conv blocks -> dense -> 10 classes (14k params)."""
  return conv_classifier(*_image(), digits_data.NUM_CLASSES, "digits_cnn")


def conv_classifier(image, x, num_classes: int, name: str):
  """Two conv blocks -> dense -> softmax over `x` (an image tensor of `image`).

  The small CNN of the demo (digits) and of the MNIST benchmark.
  """
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  x = keras.layers.Conv2D(16, 3, padding="same", activation="relu",
                          name="conv1")(x)
  x = keras.layers.MaxPooling2D(name="pool1")(x)
  x = keras.layers.Conv2D(32, 3, padding="same", activation="relu",
                          name="conv2")(x)
  x = keras.layers.MaxPooling2D(name="pool2")(x)
  x = keras.layers.Flatten(name="flatten")(x)
  x = keras.layers.Dense(64, activation="relu", name="dense1")(x)
  output = keras.layers.Dense(num_classes, activation="softmax",
                              name=OUTPUT_KEY)(x)
  return keras.Model(image, output, name=name)


def mobilenet_v2(alpha: float = 0.35):
  """keras.applications.MobileNetV2 (random init) on digits upsampled to 32x32."""
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  image, x = _image()
  x = keras.layers.UpSampling2D(
      MOBILENET_INPUT_SIZE // digits_data.IMAGE_SIZE, interpolation="bilinear",
      name="upsample")(x)
  base = keras.applications.MobileNetV2(
      input_tensor=x, alpha=alpha, include_top=False, weights=None,
      pooling="avg")
  output = keras.layers.Dense(digits_data.NUM_CLASSES, activation="softmax",
                              name=OUTPUT_KEY)(base.output)
  model = keras.Model(image, output, name=f"digits_mobilenet_v2_{alpha}")
  for layer in model.layers:
    if isinstance(layer, keras.layers.BatchNormalization):
      layer.momentum = MOBILENET_BN_MOMENTUM
  return model


def build(architecture: str = CNN, alpha: float = 0.35):
  """Returns the uncompiled model for `architecture` (one of ARCHITECTURES).

  Raises:
    CompressionConfigError: an unknown architecture.
  """
  if architecture == CNN:
    return cnn()
  if architecture == MOBILENET_V2:
    return mobilenet_v2(alpha)
  raise CompressionConfigError(
      f"architecture must be one of {list(ARCHITECTURES)}; got {architecture!r}")
