"""The digits demo's Keras model: a small CNN.

It reads the 64-float `image` feature (Keras Input named after it) and ends in
a softmax layer named `probabilities`, so TFLite conversion and TFMA feed and
read it by name. The model is flat (no nested Model), which tfmot needs to
prune and quantize layer by layer. The benchmarks' MobileNetV2 recipe lives in
`benchmarks/mobilenet.py`.
"""

from tfx_compression.pipelines import digits_data

OUTPUT_KEY = "probabilities"


def image_input(size: int = digits_data.IMAGE_SIZE):
  """(Keras Input `image` of size * size floats, its size x size x 1 reshape)."""
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  image = keras.Input(shape=(size * size,), name=digits_data.IMAGE_KEY)
  return image, keras.layers.Reshape((size, size, 1), name="to_image")(image)


def cnn():
  """64 floats -> 8x8x1 -> two conv blocks -> dense -> 10 classes (14k params)."""
  return conv_classifier(*image_input(), digits_data.NUM_CLASSES, "digits_cnn")


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
