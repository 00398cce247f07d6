"""The benchmarks' MobileNetV2 recipe (digits and MNIST), and its Trainer run_fn.

Benchmark-only: the installed package ships the demo's small CNN
(`tfx_compression.pipelines.digits_models`), not this.
"""

# Keras' MobileNetV2 uses BatchNorm momentum 0.999, which leaves the moving
# statistics near their initial values after the ~600 steps digits allows
# (eval accuracy at chance); 0.9 tracks them (STACK.md).
BN_MOMENTUM = 0.9
INPUT_SIZE = 32  # MobileNetV2's minimum side
# The Trainer's run_fn for the digits MobileNetV2 (benchmarks/ is on sys.path
# when a benchmark script runs; LocalDagRunner runs the Trainer in process).
RUN_FN = "mobilenet.run_fn"


def classifier(image, x, num_classes: int, name: str, alpha: float = 0.35):
  """keras.applications.MobileNetV2 (random init) over the 32x32 image `x`.

  `image` is the Keras Input; the softmax layer is named `probabilities`.
  The graph is flat (no nested Model), as tfmot needs.
  """
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  from tfx_compression.pipelines import digits_models  # pylint: disable=g-import-not-at-top
  base = keras.applications.MobileNetV2(
      input_tensor=x, alpha=alpha, include_top=False, weights=None,
      pooling="avg")
  output = keras.layers.Dense(num_classes, activation="softmax",
                              name=digits_models.OUTPUT_KEY)(base.output)
  model = keras.Model(image, output, name=name)
  for layer in model.layers:
    if isinstance(layer, keras.layers.BatchNormalization):
      layer.momentum = BN_MOMENTUM
  return model


def digits(alpha: float = 0.35):
  """MobileNetV2 on the 8x8 digits upsampled 4x to 32x32."""
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  from tfx_compression.pipelines import digits_data, digits_models  # pylint: disable=g-import-not-at-top
  image, x = digits_models.image_input()
  x = keras.layers.UpSampling2D(INPUT_SIZE // digits_data.IMAGE_SIZE,
                                interpolation="bilinear", name="upsample")(x)
  return classifier(image, x, digits_data.NUM_CLASSES,
                    f"digits_mobilenet_v2_{alpha}", alpha)


def run_fn(fn_args) -> None:
  """TFX Trainer entry point: the digits Trainer's loop on `digits()`.

  custom_config: the digits Trainer's keys plus `alpha` (width). Its
  BatchNorm statistics swing by several points of eval accuracy from epoch
  to epoch at a constant rate: the last quarter runs at rate / 10 (the saved
  optimizer keeps that final rate).
  """
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  from tfx_compression.pipelines import digits_trainer  # pylint: disable=g-import-not-at-top
  config = fn_args.custom_config or {}
  epochs, _, rate = digits_trainer.settings(config, ("alpha",))
  drop = epochs - epochs // 4
  digits_trainer.train(
      fn_args, lambda: digits(float(config.get("alpha", 0.35))),
      [keras.callbacks.LearningRateScheduler(
          lambda epoch, _: rate if epoch < drop else rate / 10)],
      extra_keys=("alpha",))
