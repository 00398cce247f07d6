"""Executor-level tests: LiteConverter on the session's real Trainer output."""

import json
import os

import numpy as np
import pytest

import executor_harness
from model_factories import model_artifact
from model_factories import save_keras
from model_factories import small_cnn
from tfx_compression.framework import spec_channels
from tfx_compression.framework import artifact_io
from tfx_compression.framework import properties
from tfx_compression.errors import CompressionConfigError
from tfx_compression.errors import InputMismatchError
from tfx_compression.errors import UnsupportedModelError
from tfx_compression.lib.tflite import inference
from tfx_compression.lite_converter import spec
from tfx_compression.lite_converter.config import LiteConverterConfig


def _run(model, examples, out_dir, **config):
  """The TFLite model LiteConverter publishes (under out_dir/<output key>)."""
  return executor_harness.run(
      "LiteConverter", {spec_channels.MODEL_KEY: model, spec_channels.EXAMPLES_KEY: examples},
      out_dir, LiteConverterConfig(**config))[spec.TFLITE_MODEL_KEY]


def _assert_empty(out_dir):
  assert executor_harness.nothing_published(out_dir)


def test_writes_validated_tflite_model(trained_pipeline, eval_inputs, tmp_path):
  out = _run(trained_pipeline.model, trained_pipeline.examples,
             str(tmp_path / "out"), num_validation_examples=100)
  path = artifact_io.tflite_path(out.uri)
  assert path == os.path.join(out.uri, "Format-Serving", "tflite")
  data = open(path, "rb").read()
  prop = out.get_custom_property
  assert prop(properties.SIZE_BYTES) == len(data)
  assert 0 < prop(properties.GZIP_SIZE_BYTES) < len(data)
  assert prop(properties.MODEL_FORMAT) == "tflite"
  assert prop(properties.OPTIMIZATION) == "none"
  assert json.loads(prop(properties.TENSOR_DTYPE_COUNTS))["float32"] > 5
  assert prop(properties.VALIDATION_EXAMPLES) == 100
  assert prop(properties.VALIDATION_ARGMAX_AGREEMENT) == 1.0
  report = json.load(open(os.path.join(out.uri, "report.json")))
  assert report["validation"]["on_real_examples"] is True
  assert report["source_model"] == trained_pipeline.model.uri
  inputs, labels = eval_inputs
  lite = inference.predict(data, inputs)["probabilities"]
  assert np.mean(np.argmax(lite, axis=1) == labels) > 0.9


def test_without_examples_smoke_runs_on_zeros(trained_pipeline, tmp_path):
  out = _run(trained_pipeline.model, None, str(tmp_path / "out"),
             optimization="float16")
  assert out.get_custom_property(properties.VALIDATION_EXAMPLES) == 0
  assert os.path.isfile(artifact_io.tflite_path(out.uri))


def test_model_without_format_serving(trained_pipeline, tmp_path):
  (tmp_path / "model").mkdir()
  (tmp_path / "model" / "saved_model.pb").write_bytes(b"")
  with pytest.raises(UnsupportedModelError,
                     match=r"has no Format-Serving directory .*saved_model.pb"):
    _run(model_artifact(str(tmp_path / "model")), trained_pipeline.examples,
         str(tmp_path / "out"))
  _assert_empty(str(tmp_path / "out"))


def test_saved_model_without_serving_signature(trained_pipeline, tmp_path):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  module = tf.Module()
  module.v = tf.Variable(1.0)
  tf.saved_model.save(module, str(tmp_path / "model" / "Format-Serving"))
  with pytest.raises(UnsupportedModelError, match="has no 'serving_default' signature"):
    _run(model_artifact(str(tmp_path / "model")), trained_pipeline.examples,
         str(tmp_path / "out"))
  _assert_empty(str(tmp_path / "out"))


def test_model_input_missing_from_examples(trained_pipeline, tmp_path):
  save_keras(small_cnn(input_name="pixels"),
             str(tmp_path / "model" / "Format-Serving"))
  with pytest.raises(InputMismatchError,
                     match=r"\['pixels'\] are not features .*\['image', 'label'\]"):
    _run(model_artifact(str(tmp_path / "model")), trained_pipeline.examples,
         str(tmp_path / "out"))
  _assert_empty(str(tmp_path / "out"))


def test_unknown_validation_split(trained_pipeline, tmp_path):
  with pytest.raises(CompressionConfigError, match="split 'holdout'"):
    _run(trained_pipeline.model, trained_pipeline.examples,
         str(tmp_path / "out"), validation_split="holdout")
  _assert_empty(str(tmp_path / "out"))


def test_tflite_input_is_rejected(trained_pipeline, tmp_path):
  first = _run(trained_pipeline.model, None, str(tmp_path / "first"))
  with pytest.raises(UnsupportedModelError, match="already holds a TFLite"):
    _run(first, None, str(tmp_path / "out"))
  _assert_empty(str(tmp_path / "out"))
