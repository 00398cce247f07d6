"""Kubeflow Pipelines v2: the compiled spec, its executors, and a launcher run.

No cluster here: the launcher simulation runs a compiled component's container
command locally with an ExecutorInput holding local artifact URIs, the same
code path a KFP pod runs.
"""

import importlib
import json
import os
import subprocess
import sys

import pytest

from tfx_compression.pipelines import cli

IMAGE = "registry.example/tfx-compression:test"


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
  path = str(tmp_path_factory.mktemp("kfp") / "pipeline.json")
  assert cli.main(["compile-kubeflow", "--pipeline-root", "gs://bucket/root",
                   "--data-root", "gs://bucket/data", "--image", IMAGE,
                   "--output", path,
                   "--beam-arg=--direct_running_mode=multi_processing"]) == 0
  return json.load(open(path))


def test_compiled_json_is_a_valid_pipeline_spec(compiled):
  from google.protobuf import json_format  # pylint: disable=g-import-not-at-top
  from kfp.pipeline_spec import pipeline_spec_pb2  # pylint: disable=g-import-not-at-top
  spec = json_format.ParseDict(compiled["pipelineSpec"],
                               pipeline_spec_pb2.PipelineSpec())
  tasks = set(spec.root.dag.tasks)
  assert tasks == {
      "ImportExampleGen", "Trainer", "LiteConverter.none",
      "LiteConverter.dynamic_range", "PostTrainingQuantizer.ptq_int8",
      "Pruner.pruned", "LiteConverter.pruned_tflite",
      "QuantizationAwareTrainer.pruned_qat"} | {
          f"CompressionEvaluator.{v}" for v in (
              "none", "dynamic_range", "ptq_int8", "pruned_tflite",
              "pruned_qat")}
  executors = compiled["pipelineSpec"]["deploymentSpec"]["executors"]
  assert {e["container"]["image"] for e in executors.values()} == {IMAGE}


def _executor_class_paths(compiled):
  executors = compiled["pipelineSpec"]["deploymentSpec"]["executors"]
  for name, executor in executors.items():
    args = executor["container"]["args"]
    yield name, args[args.index("--executor_class_path") + 1]


def test_every_container_points_at_an_importable_executor(compiled):
  paths = dict(_executor_class_paths(compiled))
  assert paths["Pruner.pruned_executor"] == (
      "tfx_compression.pruner.executor.Executor")
  for path in paths.values():
    module, cls = path.rsplit(".", 1)
    assert hasattr(importlib.import_module(module), cls), path


def test_beam_args_reach_the_containers(compiled):
  args = compiled["pipelineSpec"]["deploymentSpec"]["executors"][
      "ImportExampleGen_executor"]["container"]["args"]
  assert "--direct_running_mode=multi_processing" in args


def _artifact(name, uri, schema_title, metadata=None):
  return {"name": name, "uri": uri, "type": {"schemaTitle": schema_title},
          "metadata": metadata or {}}


def test_launcher_simulation_runs_lite_converter(compiled, trained_pipeline,
                                                 tmp_path):
  task = "LiteConverter.dynamic_range"
  spec = compiled["pipelineSpec"]
  container = spec["deploymentSpec"]["executors"][f"{task}_executor"]["container"]
  parameters = {k: v["runtimeValue"]["constantValue"] for k, v in
                spec["root"]["dag"]["tasks"][task]["inputs"]["parameters"].items()}
  examples, model = trained_pipeline.examples, trained_pipeline.model
  output_uri = str(tmp_path / "tflite_model")
  executor_input = {
      "inputs": {
          "artifacts": {
              "model": {"artifacts": [_artifact("model", model.uri,
                                                "tfx.Model")]},
              "examples": {"artifacts": [_artifact(
                  "examples", examples.uri, "tfx.Examples",
                  {"split_names": examples.split_names})]},
          },
          "parameters": parameters,
      },
      "outputs": {
          "artifacts": {"tflite_model": {"artifacts": [_artifact(
              "tflite_model", output_uri, "tfx.Model")]}},
          "outputFile": str(tmp_path / "executor_output.json"),
      },
  }
  args = [json.dumps(executor_input) if a == "{{$}}" else a
          for a in container["args"]]
  command = [sys.executable] + container["command"][1:]
  assert container["command"][0] == "python"
  run = subprocess.run(command + args, capture_output=True, text=True,
                       env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
  assert run.returncode == 0, run.stderr[-3000:]
  assert os.path.isfile(os.path.join(output_uri, "Format-Serving", "tflite"))
  output = json.load(open(tmp_path / "executor_output.json"))
  (artifact,) = output["artifacts"]["tflite_model"]["artifacts"]
  metadata = artifact["metadata"]
  assert metadata["optimization"] == "dynamic_range"
  assert metadata["validation_argmax_agreement"] >= 0.97
  assert metadata["size_bytes"] == os.path.getsize(
      os.path.join(output_uri, "Format-Serving", "tflite"))
