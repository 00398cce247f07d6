"""QuantizationAwareTrainer: executor on the session model, library and config."""

import json
import os

import numpy as np
import pytest

from model_factories import model_artifact
from tfx_compression import artifact_io
from tfx_compression import properties
from tfx_compression.errors import CompressionConfigError
from tfx_compression.errors import UnsupportedModelError
from tfx_compression.fine_tuning.config import FineTuning
from tfx_compression.fine_tuning.config import LayerSelection
from tfx_compression.lib import qat
from tfx_compression.quantization_aware_trainer import executor
from tfx_compression.quantization_aware_trainer.config import QatConfig

TUNING = FineTuning(epochs=4, learning_rate_scale=0.1)


def _run(examples, model, out_dir, config):
  from tfx.types import standard_artifacts  # pylint: disable=g-import-not-at-top
  out, run = model_artifact(os.path.join(out_dir, "model")), \
      standard_artifacts.ModelRun()
  run.uri = os.path.join(out_dir, "run")
  executor.Executor().Do({"examples": [examples], "model": [model]},
                         {"qat_model": [out], "model_run": [run]},
                         {"qat_config": config.to_json()})
  return out, json.load(open(os.path.join(out.uri, "report.json")))


@pytest.fixture(scope="module")
def qat_default(trained_pipeline, tmp_path_factory):
  return _run(trained_pipeline.examples, trained_pipeline.model,
              str(tmp_path_factory.mktemp("qat")),
              QatConfig(fine_tuning=TUNING))


def _int8_kernels(model_bytes):
  from tensorflow.lite.python import schema_py_generated as schema  # pylint: disable=g-import-not-at-top
  from tensorflow.lite.tools import flatbuffer_utils  # pylint: disable=g-import-not-at-top
  model = flatbuffer_utils.convert_bytearray_to_object(bytearray(model_bytes))
  return [t for g in model.subgraphs for t in g.tensors
          if t.type == schema.TensorType.INT8 and len(t.shape) >= 2
          and model.buffers[t.buffer].data is not None]


def test_qat_int8_has_int8_kernels_and_keeps_accuracy(qat_default):
  out, report = qat_default
  assert report["scheme"] == "default_8bit"  # auto: the input is dense
  assert report["quantized_layers"][:2] == ["to_image", "conv1"]
  data = open(artifact_io.tflite_path(out.uri), "rb").read()
  assert len(_int8_kernels(data)) == 4  # conv1, conv2, dense1, probabilities
  assert report["summary"]["input_dtypes"] == {"image": "float32"}
  # Same output name as the Trainer's model: evaluators find 'probabilities'.
  assert report["summary"]["output_names"] == ["probabilities"]
  accuracy = report["accuracy"]
  print("float %.4f, QAT int8 TFLite %.4f on %d examples" % (
      accuracy["float_keras"], accuracy["qat_tflite"], accuracy["examples"]))
  assert accuracy["qat_tflite"] >= accuracy["float_keras"] - 0.005
  assert out.get_custom_property(properties.TFLITE_ACCURACY) == accuracy["qat_tflite"]


def test_qat_saved_model_reloads_in_quantize_scope(qat_default, eval_inputs):
  out, _ = qat_default
  model = qat.load_qat_model(os.path.join(out.uri, "keras_qat"))
  predictions = model.predict(eval_inputs[0], verbose=0)
  assert np.mean(np.argmax(predictions, 1) == eval_inputs[1]) > 0.9
  assert os.listdir(os.path.join(os.path.dirname(out.uri), "run"))


@pytest.fixture(scope="module")
def pruned_model(trained_pipeline, tmp_path_factory):
  from tfx.types import standard_artifacts  # pylint: disable=g-import-not-at-top
  from tfx_compression.pruner import executor as pruner  # pylint: disable=g-import-not-at-top
  from tfx_compression.pruner.config import PolynomialDecay, PrunerConfig  # pylint: disable=g-import-not-at-top
  out = str(tmp_path_factory.mktemp("pruned"))
  model, run = model_artifact(os.path.join(out, "m")), standard_artifacts.ModelRun()
  run.uri = os.path.join(out, "r")
  config = PrunerConfig(schedule=PolynomialDecay(0.5, 0.8, frequency=10),
                        fine_tuning=FineTuning(epochs=3))
  pruner.Executor().Do(
      {"examples": [trained_pipeline.examples], "model": [trained_pipeline.model]},
      {"pruned_model": [model], "model_run": [run]},
      {"pruner_config": config.to_json()})
  return model


def test_prune_preserving_qat_keeps_sparsity_plain_qat_loses_it(
    pruned_model, trained_pipeline, tmp_path):
  _, preserved = _run(trained_pipeline.examples, pruned_model,
                      str(tmp_path / "pqat"),
                      QatConfig(fine_tuning=TUNING, io_type="int8"))
  _, plain = _run(trained_pipeline.examples, pruned_model,
                  str(tmp_path / "qat"),
                  QatConfig(scheme="default_8bit", fine_tuning=TUNING))
  print("input sparsity %.4f; int8 kernels: prune-preserving %.4f, plain %.4f"
        % (preserved["input_kernel_sparsity"],
           preserved["int8_kernel_sparsity"], plain["int8_kernel_sparsity"]))
  assert preserved["scheme"] == "prune_preserve"  # auto: the input is sparse
  assert preserved["input_kernel_sparsity"] == pytest.approx(0.8, abs=0.01)
  assert abs(preserved["int8_kernel_sparsity"] -
             preserved["input_kernel_sparsity"]) <= 0.02
  assert plain["int8_kernel_sparsity"] < preserved["input_kernel_sparsity"] - 0.1
  # int8 I/O: inputs were quantized with rounding for validation.
  assert preserved["summary"]["input_dtypes"] == {"image": "int8"}
  assert preserved["accuracy"]["qat_tflite"] > 0.9


def test_saved_model_without_keras_metadata_needs_model_fn(trained_pipeline,
                                                           tmp_path):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from model_factories import small_cnn  # pylint: disable=g-import-not-at-top
  tf.saved_model.save(small_cnn(), str(tmp_path / "src" / "Format-Serving"))
  with pytest.raises(UnsupportedModelError,
                     match=r"QuantizationAwareTrainer fine-tunes .*model_fn"):
    _run(trained_pipeline.examples, model_artifact(str(tmp_path / "src")),
         str(tmp_path / "out"), QatConfig())
  out = tmp_path / "out" / "model"
  assert not out.exists() or not os.listdir(out)


def _layer_norm_model():
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  x = keras.Input((16,), name="x")
  y = keras.layers.Dense(16, name="d1")(x)
  y = keras.layers.LayerNormalization(name="norm")(y)
  return keras.Model(x, keras.layers.Dense(4, name="d2")(y))


def test_unsupported_layer_is_named_or_skipped():
  model = _layer_norm_model()
  with pytest.raises(CompressionConfigError) as e:
    qat.select_layers(model, LayerSelection(), skip_unsupported=False)
  assert "tfmot cannot quantize layer(s) ['norm (LayerNormalization)']" in str(e.value)
  assert "exclude_names=['norm']" in str(e.value)
  assert "skip_unsupported_layers=True" in str(e.value)
  selection = qat.select_layers(model, LayerSelection(), skip_unsupported=True)
  assert selection.quantized == ["d1", "d2"]
  assert "cannot quantize LayerNormalization" in selection.float_layers["norm"]
  quantized = qat.quantize(model, selection, prune_preserving=False)
  assert quantized.predict(np.ones((2, 16), np.float32), verbose=0).shape == (2, 4)


def test_unknown_layer_name_is_refused(keras_model):
  with pytest.raises(CompressionConfigError, match=r"unknown layer\(s\) \['dense7'\]"):
    qat.select_layers(keras_model, LayerSelection(exclude_names=["dense7"]),
                      skip_unsupported=False)


def test_keep_first_and_last_float(keras_model):
  selection = qat.select_layers(
      keras_model, LayerSelection(keep_first_and_last=True), False)
  assert "conv1" not in selection.quantized
  assert "probabilities" not in selection.quantized
  assert "dense1" in selection.quantized


@pytest.mark.parametrize("build, message", [
    (lambda: QatConfig(fine_tuning=FineTuning(learning_rate_scale=-1)),
     "fine_tuning.learning_rate_scale must be > 0; got -1"),
    (lambda: QatConfig(fine_tuning=FineTuning(epochs=0)),
     "fine_tuning.epochs must be >= 1; got 0"),
    (lambda: QatConfig(scheme="int4"),
     "scheme must be one of 'auto', 'default_8bit', 'prune_preserve', 'cluster_preserve'; got 'int4'"),
    (lambda: QatConfig(io_type="uint8"),
     "io_type must be one of ['float32', 'int8']; got 'uint8'"),
    (lambda: QatConfig(sparsity_threshold=2), "sparsity_threshold must be <= 1.0"),
    (lambda: QatConfig.from_dict({"epochs": 3}), "unknown QAT config field(s) ['epochs']"),
])
def test_bad_config_is_named(build, message):
  with pytest.raises(CompressionConfigError) as e:
    build()
  assert message in str(e.value)


def test_component_outputs_and_config_round_trip():
  from tfx.types import channel_utils, standard_artifacts  # pylint: disable=g-import-not-at-top
  from tfx_compression import QuantizationAwareTrainer  # pylint: disable=g-import-not-at-top
  config = QatConfig(scheme="prune_preserve", io_type="int8",
                     selection=LayerSelection(keep_first_and_last=True))
  component = QuantizationAwareTrainer(
      examples=channel_utils.as_channel([standard_artifacts.Examples()]),
      model=channel_utils.as_channel([standard_artifacts.Model()]),
      config=config)
  assert component.outputs["qat_model"].type_name == "Model"
  assert component.outputs["model_run"].type_name == "ModelRun"
  assert QatConfig.from_json(component.exec_properties["qat_config"]) == config
  with pytest.raises(CompressionConfigError, match="config must be a QatConfig"):
    QuantizationAwareTrainer(
        examples=channel_utils.as_channel([standard_artifacts.Examples()]),
        model=channel_utils.as_channel([standard_artifacts.Model()]),
        config=object())


def test_tflite_input_is_refused(trained_pipeline, tmp_path):
  tflite = tmp_path / "src" / "Format-Serving" / "tflite"
  tflite.parent.mkdir(parents=True)
  tflite.write_bytes(b"TFL3")
  with pytest.raises(UnsupportedModelError,
                     match="already holds a TFLite model; QuantizationAwareTrainer takes Keras"):
    _run(trained_pipeline.examples, model_artifact(str(tmp_path / "src")),
         str(tmp_path / "out"), QatConfig())


def test_batch_norm_after_a_conv_is_quantized_elsewhere_refused():
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  image = keras.Input((8, 8, 1), name="image")
  x = keras.layers.Conv2D(4, 3, name="conv")(image)
  x = keras.layers.BatchNormalization(name="conv_bn")(x)
  x = keras.layers.ReLU(6.0, name="relu")(x)
  x = keras.layers.Flatten()(x)
  x = keras.layers.Dense(8, name="dense")(x)
  x = keras.layers.BatchNormalization(name="dense_bn")(x)
  model = keras.Model(image, keras.layers.Dense(2, name="out")(x))
  with pytest.raises(CompressionConfigError, match=r"\['dense_bn \(Batch"):
    qat.select_layers(model, LayerSelection(), skip_unsupported=False)
  selection = qat.select_layers(model, LayerSelection(), skip_unsupported=True)
  assert "conv_bn" in selection.quantized
  assert "dense_bn" in selection.float_layers
  quantized = qat.quantize(model, selection, prune_preserving=False)
  assert quantized.predict(np.zeros((1, 8, 8, 1)), verbose=0).shape == (1, 2)
