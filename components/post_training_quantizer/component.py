"""PostTrainingQuantizer: quantizes a Keras Model into a validated TFLite Model."""

from typing import Optional

from tfx import types
from tfx.dsl.components.base import base_beam_component
from tfx.dsl.components.base import executor_spec

from tfx_compression.framework import config_utils
from tfx_compression.framework import spec_channels
from tfx_compression.errors import CompressionConfigError
from tfx_compression.lib.options.quantization import needs_calibration
from tfx_compression.post_training_quantizer import executor
from tfx_compression.post_training_quantizer import spec
from tfx_compression.post_training_quantizer.config import PostTrainingQuantizerConfig


class PostTrainingQuantizer(base_beam_component.BaseBeamComponent):
  """Quantizes a Keras SavedModel to TFLite after training.

  The calibration sample is drawn with Apache Beam (so `beam_pipeline_args`
  choose the runner) and published as its own Examples artifact. The output
  Model keeps the flatbuffer at `<uri>/Format-Serving/tflite`, where the stock
  Evaluator (model_type 'tf_lite') and Pusher expect it.
  """

  SPEC_CLASS = spec.PostTrainingQuantizerSpec
  EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(executor.Executor)

  def __init__(self,
               model: types.BaseChannel,
               examples: Optional[types.BaseChannel] = None,
               config: Optional[PostTrainingQuantizerConfig] = None,
               transform_graph: Optional[types.BaseChannel] = None):
    """Constructs a PostTrainingQuantizer.

    Args:
      model: Channel of a Model holding a SavedModel in Format-Serving,
        saved by tf_keras `model.save` or by `tf.saved_model.save`.
      examples: Raw Examples (gzipped tf.Example TFRecords, as ExampleGen
        writes them): `config.calibration_splits` are sampled for calibration,
        `config.validation_split` validates the result. Required by the
        'int8' and 'int16x8' modes; without them the other modes only
        smoke-run the result on zeros.
      config: A `PostTrainingQuantizerConfig`; defaults to full int8.
      transform_graph: The pipeline's TransformGraph when the model reads
        transformed features: it is folded into the TFLite model, which then
        takes (and is calibrated on) the raw serving features.

    Raises:
      CompressionConfigError: `config` is not a PostTrainingQuantizerConfig,
        or a full-integer mode is asked for without examples.
    """
    config = config_utils.config_or_default(config, PostTrainingQuantizerConfig)
    if examples is None and needs_calibration(config.mode):
      raise CompressionConfigError(
          f"mode {config.mode.value!r} quantizes activations and needs "
          "calibration data: pass examples=<an Examples channel>, or choose "
          "mode 'dynamic_range' or 'float16', which need none.")
    super().__init__(spec=spec_channels.build_spec(
        self.SPEC_CLASS, config, model=model, examples=examples,
        transform_graph=transform_graph))
