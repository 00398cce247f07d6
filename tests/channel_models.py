"""Tiny seeded tf_keras models for channel-pruning tests, built at test time.

Every model takes the digits layout (an Input named `image` of 64 floats) and
ends in Dense(10, softmax) named `probabilities`. Batch normalisation layers get
random gamma, beta and moving statistics so that they matter.
"""

import numpy as np


def _keras():
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  return keras


def randomize_batch_norms(model, seed: int = 0):
  """Gives every BatchNormalization non-trivial gamma, beta and statistics."""
  rng = np.random.RandomState(seed)
  for layer in model.layers:
    if type(layer).__name__ == "BatchNormalization":
      n = layer.gamma.shape[0]
      layer.set_weights([rng.uniform(0.5, 1.5, n) * rng.choice([-1, 1], n),
                         rng.normal(0, 0.2, n), rng.normal(0, 0.2, n),
                         rng.uniform(0.5, 2.0, n)])
  return model


def _image(keras):
  image = keras.Input(shape=(64,), name="image")
  return image, keras.layers.Reshape((8, 8, 1), name="to_image")(image)


def _head(keras, x):
  return keras.layers.Dense(10, activation="softmax", name="probabilities")(x)


def plain_cnn(seed: int = 1):
  """Reshape -> Conv+BN+ReLU -> MaxPool -> Conv+ReLU -> Flatten -> Dense x2."""
  keras = _keras()
  keras.utils.set_random_seed(seed)
  image, x = _image(keras)
  x = keras.layers.Conv2D(8, 3, padding="same", name="conv1")(x)
  x = keras.layers.BatchNormalization(name="bn1")(x)
  x = keras.layers.ReLU(name="relu1")(x)
  x = keras.layers.MaxPooling2D(2, name="pool1")(x)
  x = keras.layers.Conv2D(12, 3, activation="relu", name="conv2")(x)
  x = keras.layers.Flatten(name="flatten")(x)
  x = keras.layers.Dense(16, activation="relu", name="dense1")(x)
  return randomize_batch_norms(keras.Model(image, _head(keras, x), name="cnn"))


def _conv_bn(keras, x, filters, kernel, name, relu6=True, **kw):
  x = keras.layers.Conv2D(filters, kernel, padding="same", use_bias=False,
                          name=f"{name}_conv", **kw)(x)
  x = keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-3,
                                      name=f"{name}_bn")(x)
  return keras.layers.ReLU(6.0, name=f"{name}_relu")(x) if relu6 else x


def mobilenet_like(seed: int = 2):
  """A MobileNetV2-style stem and two inverted residual blocks.

  Block 1 (stride 1) adds its projection to the stem output, tying stem_conv and
  block1_project_conv; block 2 (stride 2, ZeroPadding2D) has no residual.
  """
  keras = _keras()
  keras.utils.set_random_seed(seed)
  image, x = _image(keras)
  stem = _conv_bn(keras, x, 8, 3, "stem")
  x = _conv_bn(keras, stem, 16, 1, "block1_expand")
  x = keras.layers.DepthwiseConv2D(3, padding="same", use_bias=False,
                                   name="block1_depthwise")(x)
  x = keras.layers.BatchNormalization(name="block1_depthwise_bn")(x)
  x = keras.layers.ReLU(6.0, name="block1_depthwise_relu")(x)
  x = _conv_bn(keras, x, 8, 1, "block1_project", relu6=False)
  x = keras.layers.Add(name="block1_add")([stem, x])
  x = _conv_bn(keras, x, 16, 1, "block2_expand")
  x = keras.layers.ZeroPadding2D(((0, 1), (0, 1)), name="block2_pad")(x)
  x = keras.layers.DepthwiseConv2D(3, strides=2, padding="valid",
                                   name="block2_depthwise")(x)
  x = keras.layers.BatchNormalization(name="block2_depthwise_bn")(x)
  x = keras.layers.ReLU(6.0, name="block2_depthwise_relu")(x)
  x = _conv_bn(keras, x, 12, 1, "block2_project", relu6=False)
  x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
  return randomize_batch_norms(
      keras.Model(image, _head(keras, x), name="mobilenet_like"))


def mlp(seed: int = 3):
  """Dense 64 -> 128 -> 64 -> 10."""
  keras = _keras()
  keras.utils.set_random_seed(seed)
  image = keras.Input(shape=(64,), name="image")
  x = keras.layers.Dense(128, activation="relu", name="dense1")(image)
  x = keras.layers.Dropout(0.2, name="dropout")(x)
  x = keras.layers.Dense(64, activation="relu", name="dense2")(x)
  return keras.Model(image, _head(keras, x), name="mlp")


def channel_scale_class():
  """A custom layer: a learned scale per channel."""
  keras = _keras()

  class ChannelScale(keras.layers.Layer):
    """Multiplies each channel by a learned factor."""

    def build(self, input_shape):
      self.scale = self.add_weight(
          name="scale", shape=(input_shape[-1],),
          initializer=keras.initializers.RandomUniform(0.5, 1.5))

    def call(self, inputs):
      return inputs * self.scale

  return ChannelScale


def with_custom_layer(seed: int = 4):
  """A residual pair of convs whose sum goes through a custom layer.

  conv_a and conv_b are tied by the Add and reach `channel_scale`; conv_c and
  dense1 stay prunable.
  """
  keras = _keras()
  keras.utils.set_random_seed(seed)
  image, x = _image(keras)
  a = keras.layers.Conv2D(8, 3, padding="same", activation="relu",
                          name="conv_a")(x)
  b = keras.layers.Conv2D(8, 3, padding="same", name="conv_b")(a)
  x = keras.layers.Add(name="add")([a, b])
  x = channel_scale_class()(name="channel_scale")(x)
  x = keras.layers.Conv2D(6, 3, strides=2, activation="relu", name="conv_c")(x)
  x = keras.layers.Flatten(name="flatten")(x)
  x = keras.layers.Dense(16, activation="relu", name="dense1")(x)
  return keras.Model(image, _head(keras, x), name="custom")


def concat_branches(seed: int = 5):
  """Two conv branches concatenated on the channel axis, then a conv."""
  keras = _keras()
  keras.utils.set_random_seed(seed)
  image, x = _image(keras)
  left = keras.layers.Conv2D(6, 3, padding="same", name="left_conv")(x)
  left = keras.layers.BatchNormalization(name="left_bn")(left)
  left = keras.layers.Activation("relu", name="left_relu")(left)
  right = keras.layers.Conv2D(4, 1, activation="relu", name="right_conv")(x)
  x = keras.layers.Concatenate(name="concat")([left, right])
  x = keras.layers.Conv2D(8, 3, activation="relu", name="merge_conv")(x)
  x = keras.layers.MaxPooling2D(2, name="pool")(x)
  x = keras.layers.Flatten(name="flatten")(x)
  return randomize_batch_norms(
      keras.Model(image, _head(keras, x), name="concat"))


def hand_set_conv():
  """x (2, 2, 4) -> conv (4 filters, 1x1, hand-set) -> bn -> relu -> ... .

  Filter j of `conv` is kernel[0, 0, :, j]:
    l1: 4, 3, 2, 2.5 -> the two largest are filters 0 and 1;
    l2: 2, 3, 1, 2.5 -> filters 1 and 3;
    |bn gamma|: 0.1, 5, 3, 0.2 -> filters 1 and 2.
  """
  keras = _keras()
  keras.utils.set_random_seed(6)
  x_in = keras.Input(shape=(2, 2, 4), name="x")
  x = keras.layers.Conv2D(4, 1, name="conv")(x_in)
  x = keras.layers.BatchNormalization(name="bn")(x)
  x = keras.layers.ReLU(name="relu")(x)
  x = keras.layers.Conv2D(3, 1, name="conv_next")(x)
  x = keras.layers.Flatten(name="flatten")(x)
  model = keras.Model(x_in, keras.layers.Dense(2, name="out")(x))
  kernel = np.zeros((1, 1, 4, 4), np.float32)
  kernel[0, 0, :, 0] = [1, 1, 1, 1]
  kernel[0, 0, :, 1] = [3, 0, 0, 0]
  kernel[0, 0, :, 2] = [0.5, 0.5, 0.5, 0.5]
  kernel[0, 0, :, 3] = [0, -2.5, 0, 0]
  model.get_layer("conv").set_weights([kernel, np.zeros(4, np.float32)])
  model.get_layer("bn").set_weights(
      [np.array([0.1, -5, 3, 0.2], np.float32), np.zeros(4, np.float32),
       np.zeros(4, np.float32), np.ones(4, np.float32)])
  return model


TOPOLOGIES = {
    "plain_cnn": plain_cnn,
    "mobilenet_like": mobilenet_like,
    "mlp": mlp,
    "concat_branches": concat_branches,
}


def narrow_conv():
  """A conv with only 2 filters (name `narrow`) before the head."""
  keras = _keras()
  keras.utils.set_random_seed(7)
  image, x = _image(keras)
  x = keras.layers.Conv2D(2, 3, name="narrow")(x)
  x = keras.layers.Flatten(name="flatten")(x)
  return keras.Model(image, _head(keras, x), name="narrow")


def conv_then(make_layer, residual_from_input: bool = False):
  """x (8, 8, 4) -> conv (4 filters) -> make_layer() named `odd` -> head.

  With `residual_from_input`, `odd` is an Add of the model input and the conv.
  """
  keras = _keras()
  keras.utils.set_random_seed(8)
  x_in = keras.Input(shape=(8, 8, 4), name="x")
  x = keras.layers.Conv2D(4, 1, name="conv")(x_in)
  x = make_layer()([x_in, x] if residual_from_input else x)
  x = keras.layers.Flatten(name="flatten")(x)
  return keras.Model(x_in, keras.layers.Dense(3, name="out")(x))
