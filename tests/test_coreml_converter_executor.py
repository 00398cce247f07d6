"""CoreMLConverter executor: the session model converted on Linux, structural checks."""

import os
import sys

import pytest

import executor_harness
from tfx_compression.framework import spec_channels
from tfx_compression.framework import properties
from tfx_compression.coreml_converter import spec
from tfx_compression.coreml_converter.config import CoreMLConverterConfig
from tfx_compression.errors import UnsupportedModelError

MACOS_ONLY = pytest.mark.skipif(
    sys.platform != "darwin",
    reason="Core ML predictions need macOS (coremltools' Core ML runtime); "
           "on Linux only conversion and the package's spec are checked")


def _package(artifact):
  return os.path.join(artifact.uri, "Format-Serving", "coreml",
                      "model.mlpackage")


@pytest.fixture(scope="module")
def converted(trained_pipeline, tmp_path_factory):
  out = str(tmp_path_factory.mktemp("coreml"))
  return {name: executor_harness.run(
      "CoreMLConverter", {spec_channels.MODEL_KEY: trained_pipeline.model},
      os.path.join(out, name), config)[spec.COREML_MODEL_KEY]
          for name, config in (
              ("float16", CoreMLConverterConfig()),
              ("int8", CoreMLConverterConfig(precision="float32",
                                             weight_quantization="int8")))}


def test_package_layout_and_structure_match_keras(converted, keras_model):
  artifact = converted["float16"]
  assert os.path.isfile(os.path.join(_package(artifact), "Manifest.json"))
  report = executor_harness.report(artifact)
  summary = report["summary"]
  assert [(f["name"], f["shape"]) for f in summary["inputs"]] == [
      ("image", [1, 64])]
  assert [(f["name"], f["shape"]) for f in summary["outputs"]] == [
      ("probabilities", [1, 10])]
  assert keras_model.output_names == ["probabilities"]
  assert artifact.get_custom_property(properties.MODEL_FORMAT) == (
      "coreml_mlprogram")
  assert artifact.get_custom_property(properties.COREML_PRECISION) == "float16"
  # float16 weights: about 2 bytes per Keras parameter.
  params = report["keras_parameters"]
  assert 1.5 * params < summary["weight_bytes"] < 2.5 * params


def test_int8_weights_shrink_the_package(converted):
  summary = executor_harness.report(converted["int8"])["summary"]
  # coremltools quantizes weights of 2,048+ elements (its weight_threshold):
  # conv2 and dense1 here; conv1 (144) and the last layer (320) stay float.
  assert summary["ops"]["constexpr_affine_dequantize"] == 2
  params = executor_harness.report(converted["int8"])["keras_parameters"]
  # int8 weights: ~1 byte per parameter (+ scales, float biases).
  assert summary["weight_bytes"] < 1.5 * params
  assert converted["int8"].get_custom_property(
      properties.COREML_WEIGHT_QUANTIZATION) == "int8"


@MACOS_ONLY
def test_prediction_matches_keras(converted, keras_model, eval_inputs):
  import coremltools as ct  # pylint: disable=g-import-not-at-top
  import numpy as np  # pylint: disable=g-import-not-at-top
  inputs, _ = eval_inputs
  model = ct.models.MLModel(_package(converted["float16"]))
  image = inputs["image"][:1].astype(np.float32)
  got = model.predict({"image": image})["probabilities"]
  np.testing.assert_allclose(got, keras_model.predict(image), atol=1e-2)


def test_tflite_model_is_refused(tmp_path):
  from model_factories import tflite_model_artifact  # pylint: disable=g-import-not-at-top
  source = tflite_model_artifact(str(tmp_path / "tflite"), b"TFL3")
  with pytest.raises(UnsupportedModelError, match="already holds a TFLite"):
    executor_harness.run("CoreMLConverter", {spec_channels.MODEL_KEY: source},
                         str(tmp_path / "out"), CoreMLConverterConfig())
  assert executor_harness.nothing_published(str(tmp_path / "out"))
