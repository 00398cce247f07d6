"""Executors that write through the artifact filesystem work on a pipeline
root that is not a local path (gs:// in production).

TensorFlow's in-memory `ram://` filesystem stands in for a bucket: it is
registered with TFX's filesystem registry the way TFX registers gs://, and
nothing of it exists on the local disk.
"""

import os

import pytest

import executor_harness
from model_factories import tflite_model_artifact
from tfx_compression.coreml_converter import spec as coreml_spec
from tfx_compression.coreml_converter.config import CoreMLConverterConfig
from tfx_compression.framework import spec_channels
from tfx_compression.micro_exporter import spec as micro_spec
from tfx_compression.micro_exporter.config import MicroExporterConfig


@pytest.fixture(scope="module")
def ram_root():
  """A fresh ram:// root, readable through TFX's fileio."""
  # pylint: disable=g-import-not-at-top
  from tfx.dsl.io import filesystem_registry
  from tfx.dsl.io.plugins import tensorflow_gfile

  class RamFilesystem(tensorflow_gfile.TensorflowFilesystem):
    SUPPORTED_SCHEMES = ["ram://"]

  filesystem_registry.DEFAULT_FILESYSTEM_REGISTRY.register(RamFilesystem, 20)
  return "ram://tfx_compression_test"


def _files(uri):
  """Every file under `uri`, relative to it."""
  from tfx.dsl.io import fileio  # pylint: disable=g-import-not-at-top
  return sorted(os.path.relpath(os.path.join(d, f), uri)
                for d, _, files in fileio.walk(uri) for f in files)


def test_core_ml_and_micro_write_to_a_non_local_root(ram_root, trained_pipeline,
                                                    eval_inputs, tmp_path):
  # pylint: disable=g-import-not-at-top
  from tfx_compression.framework import artifact_io
  from tfx_compression.lib.keras import saved_model_io
  from tfx_compression.lib.quantization import ptq_convert
  # pylint: enable=g-import-not-at-top
  coreml = executor_harness.run(
      "CoreMLConverter", {spec_channels.MODEL_KEY: trained_pipeline.model},
      f"{ram_root}/coreml", CoreMLConverterConfig())[coreml_spec.COREML_MODEL_KEY]
  package = "Format-Serving/coreml/model.mlpackage"
  assert coreml.uri.startswith("ram://")
  assert f"{package}/Manifest.json" in _files(coreml.uri)
  assert "report.json" in _files(coreml.uri)
  assert not os.path.exists(coreml.uri)  # nothing written locally
  inputs, _ = eval_inputs
  model = saved_model_io.load_keras_model(
      artifact_io.serving_dir(trained_pipeline.model.uri))
  int8 = ptq_convert.quantize(model, "int8", "int8",
                              {"image": inputs["image"][:50]}).model_bytes
  source = tflite_model_artifact(str(tmp_path / "int8"), int8)
  micro = executor_harness.run(
      "MicroExporter", {spec_channels.MODEL_KEY: source},
      f"{ram_root}/micro", MicroExporterConfig())[micro_spec.MICRO_MODEL_KEY]
  assert _files(micro.uri) == [
      "Format-Serving/micro/model.tflite", "Format-Serving/micro/model_data.cc",
      "Format-Serving/micro/model_data.h", "report.json"]
  assert artifact_io.read_bytes(
      f"{micro.uri}/Format-Serving/micro/model.tflite") == int8
