"""Executor-level tests: PostTrainingQuantizer on the session's real artifacts."""

import csv
import json
import os
import shutil

import pytest

import executor_harness
from model_factories import model_artifact
from model_factories import save_keras
from model_factories import small_cnn
from model_factories import tflite_model_artifact
from tfx_compression.framework import spec_channels
from tfx_compression.framework import artifact_io
from tfx_compression.framework import properties
from tfx_compression.errors import CompressionConfigError
from tfx_compression.errors import InputMismatchError
from tfx_compression.errors import UnsupportedModelError
from tfx_compression.lib.data import examples_io
from tfx_compression.lib.keras import saved_model_io
from tfx_compression.lib.tflite import inference
from tfx_compression.lib.quantization.calibration_sampling import InsufficientExamplesError
from tfx_compression.post_training_quantizer import spec
from tfx_compression.post_training_quantizer.config import PostTrainingQuantizerConfig


def _examples_artifact(uri, splits):
  from tfx.types import artifact_utils  # pylint: disable=g-import-not-at-top
  from tfx.types import standard_artifacts  # pylint: disable=g-import-not-at-top
  artifact = standard_artifacts.Examples()
  artifact.uri = uri
  artifact.split_names = artifact_utils.encode_split_names(splits)
  return artifact


def _run(model, examples, out_dir, **config):
  """(quantized model, calibration sample) as the quantizer publishes them."""
  outputs = executor_harness.run(
      "PostTrainingQuantizer",
      {spec_channels.MODEL_KEY: model, spec_channels.EXAMPLES_KEY: examples}, out_dir,
      PostTrainingQuantizerConfig(**config))
  return (outputs[spec.QUANTIZED_MODEL_KEY],
          outputs[spec.CALIBRATION_EXAMPLES_KEY])


def _assert_outputs_empty(out_dir):
  assert executor_harness.nothing_published(out_dir)


@pytest.fixture(scope="module")
def int8_run(trained_pipeline, tmp_path_factory):
  out = str(tmp_path_factory.mktemp("int8"))
  model, sample = _run(trained_pipeline.model, trained_pipeline.examples, out,
                       num_calibration_examples=150, sampling="proportional",
                       label_key="label", seed=5, io_type="int8",
                       num_validation_examples=300)
  return model, sample


def test_int8_writes_model_report_and_layer_errors(int8_run, trained_pipeline,
                                                   eval_inputs):
  model, _ = int8_run
  assert sorted(os.listdir(model.uri)) == [
      "Format-Serving", "layer_errors.csv", "layer_errors.json", "report.json"]
  data = open(artifact_io.tflite_path(model.uri), "rb").read()
  prop = model.get_custom_property
  assert prop(properties.MODEL_FORMAT) == "tflite"
  assert prop(properties.QUANTIZATION_MODE) == "int8"
  assert prop(properties.SIZE_BYTES) == len(data)
  assert prop(properties.SIZE_RATIO) == pytest.approx(
      prop(properties.FLOAT_SIZE_BYTES) / len(data))
  assert prop(properties.SIZE_RATIO) > 2.8
  assert json.loads(prop(properties.INPUT_DTYPES)) == {"image": "int8"}
  assert json.loads(prop(properties.OUTPUT_DTYPES)) == {"probabilities": "int8"}
  assert "float32" not in json.loads(prop(properties.TENSOR_DTYPE_COUNTS))
  assert prop(properties.CALIBRATION_EXAMPLES) == 150
  assert prop(properties.VALIDATION_EXAMPLES) == 300
  assert prop(properties.VALIDATION_ARGMAX_AGREEMENT) >= 0.97
  assert json.loads(prop(properties.FLOAT_NODES)) == []
  assert 0 < prop(properties.RELATIVE_OUTPUT_ERROR) < 0.05
  report = json.load(open(os.path.join(model.uri, "report.json")))
  assert report["source_model"] == trained_pipeline.model.uri
  assert report["config"]["calibration_splits"] == ["train"]
  assert report["calibration"]["examples"] == 150
  assert report["validation"]["on_real_examples"] is True
  assert report["float_layers"]["layer_report"] == "layer_errors.csv"
  rows = list(csv.DictReader(open(os.path.join(model.uri,
                                               "layer_errors.csv"))))
  assert len(rows) == 9 and {r["kept_float"] for r in rows} == {"False"}
  inputs, labels = eval_inputs
  lite = inference.predict(data, inputs)["probabilities"]
  assert (lite.argmax(1) == labels).mean() > 0.9


def test_int8_writes_the_calibration_sample_as_examples(int8_run,
                                                        trained_pipeline,
                                                        keras_model):
  _, sample = int8_run
  assert sample.split_names == '["calibration"]'
  assert sorted(os.listdir(sample.uri)) == ["Split-calibration",
                                            "sampling_stats.json"]
  files = artifact_io.split_files(sample, "calibration")
  assert [os.path.basename(f) for f in files] == [
      "data_tfrecord-00000-of-00001.gz"]
  inputs = examples_io.read_inputs(files, saved_model_io.input_specs(keras_model),
                                   1000)
  assert len(inputs["image"]) == 150
  prop = sample.get_custom_property
  assert prop(properties.CALIBRATION_EXAMPLES) == 150
  train_size = prop(properties.POPULATION_EXAMPLES)
  assert 1200 < train_size < 1600  # ~80 % of 1,797 digits.
  assert prop(properties.SAMPLING_STRATEGY) == "proportional"
  assert prop(properties.SAMPLING_SEED) == 5
  assert prop("payload_format") == "FORMAT_TF_EXAMPLE"
  stats = json.load(open(os.path.join(sample.uri, "sampling_stats.json")))
  assert sum(stats["sample_by_label"].values()) == 150
  assert sum(stats["population_by_label"].values()) == train_size


def test_dynamic_range_without_examples_needs_no_calibration(trained_pipeline,
                                                             tmp_path):
  model, sample = _run(trained_pipeline.model, None, str(tmp_path),
                       mode="dynamic_range")
  assert model.get_custom_property(properties.QUANTIZATION_MODE) == (
      "dynamic_range")
  assert model.get_custom_property(properties.VALIDATION_EXAMPLES) == 0
  assert model.get_custom_property(properties.CALIBRATION_EXAMPLES) == 0
  assert sorted(os.listdir(model.uri)) == ["Format-Serving", "report.json"]
  assert sample.split_names == "[]"
  assert not os.path.exists(sample.uri) or os.listdir(sample.uri) == []


def test_examples_without_a_model_input_feature(trained_pipeline, tmp_path):
  save_keras(small_cnn(input_name="pixels"),
             str(tmp_path / "model" / "Format-Serving"))
  with pytest.raises(InputMismatchError,
                     match=r"\['pixels'\] are not features of split 'eval' "
                     r".*\['image', 'label'\]"):
    _run(model_artifact(str(tmp_path / "model")), trained_pipeline.examples,
         str(tmp_path / "out"))
  _assert_outputs_empty(str(tmp_path / "out"))


def test_empty_split(trained_pipeline, tmp_path):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  examples = _examples_artifact(str(tmp_path / "examples"), ["train", "eval"])
  os.makedirs(tmp_path / "examples" / "Split-train")
  with tf.io.TFRecordWriter(str(tmp_path / "examples" / "Split-train" /
                                "data_tfrecord-00000-of-00001.gz"), "GZIP"):
    pass
  shutil.copytree(os.path.join(trained_pipeline.examples.uri, "Split-eval"),
                  tmp_path / "examples" / "Split-eval")
  with pytest.raises(InsufficientExamplesError,
                     match=r"split\(s\) \['train'\] of Examples .* holds no "
                     "examples"):
    _run(trained_pipeline.model, examples, str(tmp_path / "out"))
  _assert_outputs_empty(str(tmp_path / "out"))


def test_sample_larger_than_the_split_fails_after_sampling(trained_pipeline,
                                                           tmp_path):
  with pytest.raises(InsufficientExamplesError,
                     match=r"num_calibration_examples=5000 exceeds the \d+ "
                     r"examples in split\(s\) \['train'\]"):
    _run(trained_pipeline.model, trained_pipeline.examples,
         str(tmp_path / "out"), num_calibration_examples=5000)
  # The sampler had written its files: they are gone.
  _assert_outputs_empty(str(tmp_path / "out"))


def test_default_sample_shrinks_to_a_small_split(regression, tmp_path):
  import reliability_inputs  # pylint: disable=g-import-not-at-top
  records = reliability_inputs.records(regression.examples, "train")
  examples = reliability_inputs.examples_artifact(
      str(tmp_path / "examples"), {"train": records[:120],
                                   "eval": records[120:220]})
  quantized, sample = _run(regression.artifact, examples, str(tmp_path / "out"))
  assert quantized.get_int_custom_property(
      properties.CALIBRATION_EXAMPLES) == 120
  assert sample.get_int_custom_property(properties.POPULATION_EXAMPLES) == 120


def test_unknown_label_key(trained_pipeline, tmp_path):
  with pytest.raises(InputMismatchError,
                     match=r"label_key 'digit' is not a feature of split\(s\) "
                     r"\['train'\].*features: \['image', 'label'\]"):
    _run(trained_pipeline.model, trained_pipeline.examples,
         str(tmp_path / "out"), sampling="per_class", label_key="digit")
  _assert_outputs_empty(str(tmp_path / "out"))


def test_full_integer_without_examples(trained_pipeline, tmp_path):
  with pytest.raises(CompressionConfigError,
                     match="mode 'int16x8' needs calibration examples"):
    _run(trained_pipeline.model, None, str(tmp_path / "out"), mode="int16x8")
  _assert_outputs_empty(str(tmp_path / "out"))


def test_tflite_input_is_rejected(trained_pipeline, tmp_path):
  with pytest.raises(UnsupportedModelError, match="already holds a TFLite"):
    _run(tflite_model_artifact(str(tmp_path / "lite"), b"TFL3"),
         trained_pipeline.examples,
         str(tmp_path / "out"))
  _assert_outputs_empty(str(tmp_path / "out"))


def test_unknown_calibration_split(trained_pipeline, tmp_path):
  with pytest.raises(CompressionConfigError,
                     match=r"split 'holdout' is not a split of Examples .*; "
                     r"available: \['train', 'eval'\]"):
    _run(trained_pipeline.model, trained_pipeline.examples,
         str(tmp_path / "out"), calibration_splits=("train", "holdout"))
  _assert_outputs_empty(str(tmp_path / "out"))


def test_int8_failing_agreement_is_rejected_with_its_layer_errors(
    trained_pipeline, tmp_path):
  """int8 cannot keep this model's decisions: the candidate is published
  rejected, the per-layer errors kept, the options to try named."""
  from tfx_compression.framework import step_executor  # pylint: disable=g-import-not-at-top
  from model_factories import int8_fragile  # pylint: disable=g-import-not-at-top
  source = model_artifact(str(tmp_path / "fragile"))
  save_keras(int8_fragile(), os.path.join(source.uri, "Format-Serving"))
  model, _ = _run(source, trained_pipeline.examples, str(tmp_path / "out"),
                  num_calibration_examples=50, seed=5,
                  min_argmax_agreement=0.9, num_validation_examples=100)
  reason = step_executor.rejection(model)
  assert reason and reason.startswith(
      "ModelValidationError: The TFLite model's argmax"), reason
  for option in ("ptq_config.float_layers", "ptq_config.max_auto_float_layers",
                 "ptq_config.min_argmax_agreement", spec.LAYER_ERRORS_CSV):
    assert option in reason
  files = os.listdir(model.uri)
  assert spec.LAYER_ERRORS_CSV in files and "rejection.json" in files, files
  rows = list(csv.DictReader(open(os.path.join(model.uri,
                                               spec.LAYER_ERRORS_CSV))))
  assert rows
