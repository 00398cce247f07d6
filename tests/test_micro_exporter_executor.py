"""MicroExporter executor on the session model: layout, arena, a C build, refusals."""

import os
import shutil
import subprocess

import numpy as np
import pytest

import executor_harness
from model_factories import tflite_model_artifact
from tfx_compression.framework import artifact_io
from tfx_compression.framework import properties
from tfx_compression.errors import FloatIoModelError
from tfx_compression.errors import UnsupportedModelError
from tfx_compression.micro_exporter import spec
from tfx_compression.micro_exporter.config import MicroExporterConfig


@pytest.fixture(scope="module")
def tflite_models(trained_pipeline, eval_inputs):
  """The session model as int8-I/O and float-I/O int8 TFLite."""
  from tfx_compression.lib.keras import saved_model_io  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.quantization import ptq_convert  # pylint: disable=g-import-not-at-top
  inputs, _ = eval_inputs
  calibration = {"image": inputs["image"][:100]}
  model = saved_model_io.load_keras_model(
      artifact_io.serving_dir(trained_pipeline.model.uri))
  return {io: ptq_convert.quantize(model, "int8", io, calibration).model_bytes
          for io in ("int8", "float32")}


@pytest.fixture(scope="module")
def exported(tflite_models, tmp_path_factory):
  out = str(tmp_path_factory.mktemp("micro"))
  source = tflite_model_artifact(os.path.join(out, "int8"), tflite_models["int8"])
  outputs = executor_harness.run("MicroExporter", {"model": source},
                                 os.path.join(out, "out"),
                                 MicroExporterConfig())
  return outputs[spec.MICRO_MODEL_KEY], tflite_models["int8"]


def test_layout_and_properties(exported):
  artifact, model_bytes = exported
  micro = os.path.join(artifact.uri, "Format-Serving", "micro")
  assert sorted(os.listdir(micro)) == ["model.tflite", "model_data.cc",
                                       "model_data.h"]
  assert open(os.path.join(micro, "model.tflite"), "rb").read() == model_bytes
  assert artifact.get_custom_property(properties.MODEL_FORMAT) == "tflite_micro"
  assert artifact.get_custom_property(properties.SIZE_BYTES) == len(model_bytes)
  arena = executor_harness.report(artifact)["arena"]
  assert arena["peak_bytes"] == artifact.get_custom_property(
      properties.ARENA_PEAK_BYTES)
  assert artifact.get_custom_property(
      properties.TENSOR_ARENA_BYTES) == arena["recommended_bytes"]


def test_arena_peak_is_between_largest_tensor_and_unshared_sum(exported):
  arena = executor_harness.report(exported[0])["arena"]
  # The digits CNN: the planner reuses buffers, so the peak is below the sum
  # of its activations, and at least its largest activation.
  assert arena["largest_tensor_bytes"] <= arena["peak_bytes"]
  assert arena["peak_bytes"] < arena["unshared_bytes"]
  expected = int(np.ceil(arena["peak_bytes"] * 1.25)) + 4096
  assert expected <= arena["recommended_bytes"] < expected + 16
  assert arena["recommended_bytes"] % 16 == 0


def _compiler():
  for name in ("c++", "g++", "clang++"):
    if shutil.which(name):
      return name
  return None


def test_c_array_compiles_links_and_holds_the_model(exported, tmp_path):
  compiler = _compiler()
  if compiler is None:
    pytest.skip("no C++ compiler (c++, g++, clang++) on PATH to compile "
                "model_data.cc")
  artifact, model_bytes = exported
  micro = os.path.join(artifact.uri, "Format-Serving", "micro")
  main = tmp_path / "main.cc"
  main.write_text(
      '#include <cstdint>\n#include <cstdio>\n#include "model_data.h"\n'
      "int main() {\n"
      "  unsigned long sum = 0;\n"
      "  for (unsigned int i = 0; i < g_model_data_len; ++i) "
      "sum += g_model_data[i];\n"
      '  std::printf("%u %lu %d %.4s %d\\n", g_model_data_len, sum,\n'
      "      (int)(reinterpret_cast<std::uintptr_t>(g_model_data) % 16),\n"
      "      reinterpret_cast<const char*>(g_model_data) + 4,\n"
      "      G_MODEL_DATA_TENSOR_ARENA_SIZE);\n  return 0;\n}\n")
  binary = str(tmp_path / "probe")
  subprocess.run([compiler, "-std=c++11", "-Wall", "-Werror", "-I", micro,
                  str(main), os.path.join(micro, "model_data.cc"), "-o",
                  binary], check=True, capture_output=True, timeout=120)
  out = subprocess.run([binary], check=True, capture_output=True,
                       text=True).stdout.split()
  arena = executor_harness.report(artifact)["arena"]["recommended_bytes"]
  assert out == [str(len(model_bytes)), str(sum(model_bytes)), "0", "TFL3",
                 str(arena)]


def test_float_io_model_is_refused_by_name(tflite_models, tmp_path):
  source = tflite_model_artifact(str(tmp_path / "float_io"),
                            tflite_models["float32"])
  with pytest.raises(FloatIoModelError,
                     match=r"'input image': 'float32'.*allowed I/O dtypes: "
                           r"\['int8'\].*io_type='int8'"):
    executor_harness.run("MicroExporter", {"model": source},
                         str(tmp_path / "out"), MicroExporterConfig())
  assert executor_harness.nothing_published(str(tmp_path / "out"))


def test_keras_model_is_refused(trained_pipeline, tmp_path):
  with pytest.raises(UnsupportedModelError, match="holds no TFLite model"):
    executor_harness.run("MicroExporter", {"model": trained_pipeline.model},
                         str(tmp_path / "out"), MicroExporterConfig())
