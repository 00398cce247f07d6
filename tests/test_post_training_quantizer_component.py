"""Component-level tests: PostTrainingQuantizer's spec, properties and argument checks."""

import pytest

from tfx_compression import IoType
from tfx_compression import PostTrainingQuantizer
from tfx_compression import PostTrainingQuantizerConfig
from tfx_compression import QuantizationMode
from tfx_compression import SamplingStrategy
from tfx_compression.errors import CompressionConfigError


def _channels():
  from tfx.types import channel_utils  # pylint: disable=g-import-not-at-top
  from tfx.types import standard_artifacts  # pylint: disable=g-import-not-at-top
  return (channel_utils.as_channel([standard_artifacts.Model()]),
          channel_utils.as_channel([standard_artifacts.Examples()]))


def test_outputs_and_exec_properties():
  model, examples = _channels()
  quantizer = PostTrainingQuantizer(
      model=model, examples=examples,
      config=PostTrainingQuantizerConfig(
          io_type="int8", calibration_splits=["train", "extra"],
          num_calibration_examples=50, sampling="per_class",
          label_key="label", seed=3, float_ops=("CONV_2D",)))
  assert quantizer.outputs["quantized_model"].type_name == "Model"
  assert quantizer.outputs["calibration_examples"].type_name == "Examples"
  (key,) = quantizer.exec_properties
  assert key == "quantizer_config"
  config = PostTrainingQuantizerConfig.from_exec_properties(
      quantizer.exec_properties)
  assert (config.io_type.value, config.calibration_splits, config.float_ops,
          config.inputs.value) == ("int8", ("train", "extra"), ("CONV_2D",),
                                   "serving")


def test_is_a_beam_component_that_takes_beam_pipeline_args():
  from tfx.dsl.components.base import executor_spec  # pylint: disable=g-import-not-at-top
  model, examples = _channels()
  quantizer = PostTrainingQuantizer(model=model, examples=examples)
  quantizer.with_beam_pipeline_args(["--direct_num_workers=2"])
  assert isinstance(quantizer.executor_spec, executor_spec.BeamExecutorSpec)
  assert quantizer.executor_spec.beam_pipeline_args == [
      "--direct_num_workers=2"]


@pytest.mark.parametrize("mode", ["int8", "int16x8", QuantizationMode.INT8])
def test_full_integer_without_examples_is_refused(mode):
  model, _ = _channels()
  with pytest.raises(CompressionConfigError) as e:
    PostTrainingQuantizer(model=model,
                          config=PostTrainingQuantizerConfig(mode=mode))
  assert (f"mode '{QuantizationMode(mode).value}' quantizes activations and "
          "needs calibration data: pass examples=") in str(e.value)


@pytest.mark.parametrize("mode", ["dynamic_range", "float16"])
def test_calibration_free_modes_need_no_examples(mode):
  model, _ = _channels()
  quantizer = PostTrainingQuantizer(
      model=model, config=PostTrainingQuantizerConfig(mode=mode))
  assert PostTrainingQuantizerConfig.from_exec_properties(
      quantizer.exec_properties).mode.value == mode


def test_config_must_be_a_config_object():
  model, examples = _channels()
  with pytest.raises(CompressionConfigError,
                     match="config must be a PostTrainingQuantizerConfig; got dict"):
    PostTrainingQuantizer(model=model, examples=examples,
                          config={"mode": "int8"})


@pytest.mark.parametrize("kwargs, message", [
    ({"mode": "int4"},
     "mode must be one of 'dynamic_range', 'float16', 'int8', 'int16x8', "
     "'int4_weights'; got 'int4'"),
    ({"io_type": "float64"},
     "io_type must be one of 'float32', 'int8', 'uint8', 'int16'; got 'float64'"),
    ({"mode": "float16", "io_type": "int8"},
     "io_type 'int8' is not supported with mode 'float16'; allowed: 'float32'"),
    ({"mode": "int16x8", "io_type": "uint8"},
     "io_type 'uint8' is not supported with mode 'int16x8'; allowed: "
     "'float32', 'int16'"),
    ({"num_calibration_examples": 0},
     "num_calibration_examples must be >= 1; got 0"),
    ({"num_calibration_examples": -5},
     "num_calibration_examples must be >= 1; got -5"),
    ({"num_calibration_examples": 100_001},
     "num_calibration_examples must be <= 100000; got 100001"),
    ({"sampling": "stratified"},
     "sampling must be one of 'uniform', 'per_class', 'proportional'; "
     "got 'stratified'"),
    ({"sampling": "per_class"}, "sampling 'per_class' needs a label_key; got ''"),
    ({"calibration_splits": "train"},
     "calibration_splits must be a list of strings; got 'train'"),
    ({"calibration_splits": ()},
     "calibration_splits must name at least one split; got ()"),
    ({"calibration_splits": ("train", "train")},
     "calibration_splits has duplicates; got ('train', 'train')"),
    ({"seed": -1}, "seed must be >= 0; got -1"),
    ({"float_ops": ["conv2d"]},
     "float_ops entry must be a TFLite op type such as 'CONV_2D' or "
     "'FULLY_CONNECTED'; got 'conv2d'"),
    ({"float_layers": ["dense1"], "mode": "dynamic_range"},
     "float_layers is only supported with mode 'int8'; got mode "
     "'dynamic_range'"),
    ({"max_auto_float_layers": 2, "io_type": "uint8"},
     "max_auto_float_layers needs io_type in ['float32', 'int8']; got 'uint8'"),
    ({"max_relative_output_error": -0.1},
     "max_relative_output_error must be >= 0.0; got -0.1"),
    ({"min_argmax_agreement": 1.5}, "min_argmax_agreement must be <= 1.0; got 1.5"),
    ({"validation_split": ""}, "validation_split must be a non-empty string"),
])
def test_bad_config_names_field_value_and_allowed(kwargs, message):
  with pytest.raises(CompressionConfigError) as e:
    PostTrainingQuantizerConfig(**kwargs)
  assert message in str(e.value)


def test_config_round_trips_through_exec_properties():
  config = PostTrainingQuantizerConfig(
      mode=QuantizationMode.INT8, io_type=IoType.INT8,
      calibration_splits=("train", "eval"),
      sampling=SamplingStrategy.PROPORTIONAL, label_key="label",
      float_layers=["dense1"], max_auto_float_layers=2,
      max_relative_output_error=0.02)
  assert config.float_layers == ("dense1",)
  assert PostTrainingQuantizerConfig.from_exec_properties(
      config.to_exec_properties()) == config


def test_config_and_options_import_neither_tensorflow_nor_beam():
  import subprocess  # pylint: disable=g-import-not-at-top
  import sys  # pylint: disable=g-import-not-at-top
  code = ("import sys\n"
          "from tfx_compression.post_training_quantizer.config import "
          "PostTrainingQuantizerConfig\n"
          "PostTrainingQuantizerConfig(mode='int16x8', io_type='int16')\n"
          "print(sorted(m for m in ('tensorflow', 'apache_beam', 'tfx', "
          "'numpy') if m in sys.modules))")
  out = subprocess.run([sys.executable, "-c", code], check=True,
                       capture_output=True, text=True)
  assert out.stdout.strip() == "[]"
