"""compile-kubeflow: the compiled files, checked by the kfp and aiplatform SDKs.

No cluster and no network: the kfp client's package loading and the Vertex AI
PipelineJob are constructed offline (a socket guard fails any connection).
The launcher simulation, which runs every compiled container, is in
test_kubeflow_launcher.py.
"""

import dataclasses
import importlib
import json
import os
import socket

import pytest
import yaml

from tfx_compression.pipelines import cli
from tfx_compression.pipelines import plan_file

IMAGE = "registry.example/tfx-compression:test"
PLAN_IMAGE = "registry.example/tfx-compression:plan"
GPU_IMAGE = "registry.example/tfx-compression-gpu:test"
ROOT = "gs://bucket/root"
DEMO_PLAN = os.path.join(os.path.dirname(__file__), os.pardir, "kubeflow",
                         "demo_plan.yaml")
RUN_FN = "tfx_compression.pipelines.digits_trainer.run_fn"
DEMO_TASKS = {
    "ImportExampleGen", "Preflight", "Trainer", "LiteConverter.none",
    "LiteConverter.dynamic_range", "PostTrainingQuantizer.ptq_int8",
    "Pruner.pruned", "LiteConverter.pruned_tflite",
    "QuantizationAwareTrainer.pruned_qat", "CandidateSelector", "Pusher.selected"} | {
        f"CompressionEvaluator.{variant}"
        for variant in ("none", "dynamic_range", "ptq_int8", "pruned_tflite",
                        "pruned_qat")}


@pytest.fixture
def offline(monkeypatch):
  """Fails any attempt to open a network connection."""
  def refuse(self, address):
    raise AssertionError(f"network access to {address}")
  monkeypatch.setattr(socket.socket, "connect", refuse)


def _demo_plan_with_gpu(path):
  """The demo plan file, its Pruner on a GPU and the image in the plan."""
  with open(DEMO_PLAN) as f:
    values = yaml.safe_load(f)
  values["resources"] = {"image": PLAN_IMAGE, "components": {
      "Pruner": {"cpu": 4, "memory_gb": 16, "accelerator_type": "nvidia.com/gpu",
                 "accelerator_count": 1, "image": GPU_IMAGE},
      "CompressionEvaluator": {"memory_gb": 8}}}
  path.write_text(yaml.safe_dump(values))
  return str(path)


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
  """The demo pipeline compiled for both targets: {'kfp': path, 'vertex': path}."""
  tmp = tmp_path_factory.mktemp("kfp")
  plan = _demo_plan_with_gpu(tmp / "plan.yaml")
  common = ["compile-kubeflow", "--pipeline-root", ROOT,
            "--data", "gs://bucket/data", "--run-fn", RUN_FN,
            "--config", plan, "--push-destination", "gs://bucket/serving",
            "--beam-arg=--direct_running_mode=multi_processing"]
  paths = {"kfp": str(tmp / "pipeline.yaml"),
           "vertex": str(tmp / "pipeline.json")}
  # kfp: --image overrides the plan's image; vertex: the plan's image.
  assert cli.main(common + ["--image", IMAGE, "--output", paths["kfp"]]) == 0
  assert cli.main(common + ["--target", "vertex",
                            "--output", paths["vertex"]]) == 0
  return paths


def _spec(compiled, target):
  with open(compiled[target]) as f:
    return (yaml.safe_load(f) if target == "kfp"
            else json.load(f)["pipelineSpec"])


def test_kfp_file_loads_with_the_kfp_sdk(compiled):
  from kfp import components  # pylint: disable=g-import-not-at-top
  component = components.load_component_from_file(compiled["kfp"])
  assert component.name == "tfx-compression"
  spec = component.pipeline_spec
  assert spec.default_pipeline_root == ROOT
  assert spec.schema_version == "2.1.0"
  assert set(spec.root.dag.tasks) == DEMO_TASKS


def test_kfp_client_accepts_the_package_offline(compiled, offline):
  """What create_run_from_pipeline_package does before its HTTP call."""
  import kfp  # pylint: disable=g-import-not-at-top
  import kfp_server_api  # pylint: disable=g-import-not-at-top
  # A namespace given: the client does not ask the server for one.
  client = kfp.Client(host="http://127.0.0.1:1", namespace="kubeflow-user")
  job = client._create_job_config(  # pylint: disable=protected-access
      params={}, pipeline_package_path=compiled["kfp"], pipeline_id=None,
      version_id=None, enable_caching=None, pipeline_root=None)
  run = kfp_server_api.V2beta1Run(
      experiment_id="e", display_name="compression",
      pipeline_spec=job.pipeline_spec, runtime_config=job.runtime_config)
  body = client._run_api.api_client.sanitize_for_serialization(run)  # pylint: disable=protected-access
  assert body["pipeline_spec"]["defaultPipelineRoot"] == ROOT
  assert set(body["pipeline_spec"]["root"]["dag"]["tasks"]) == DEMO_TASKS


def test_kfp_client_refuses_the_vertex_file(compiled):
  """Why there are two targets: the KFP client takes no PipelineJob JSON."""
  from kfp.client import client as kfp_client  # pylint: disable=g-import-not-at-top
  with pytest.raises(ValueError, match="should end with"):
    kfp_client._extract_pipeline_yaml(compiled["vertex"])  # pylint: disable=protected-access


def test_vertex_file_is_accepted_by_aiplatform_offline(compiled, offline):
  # pylint: disable=g-import-not-at-top
  from google.auth import credentials
  from google.cloud import aiplatform
  job = aiplatform.PipelineJob(
      display_name="compression", template_path=compiled["vertex"],
      project="my-project", location="europe-west4",
      credentials=credentials.AnonymousCredentials())
  resource = job._gca_resource  # pylint: disable=protected-access
  assert resource.runtime_config.gcs_output_directory == ROOT
  assert set(resource.pipeline_spec["root"]["dag"]["tasks"]) == DEMO_TASKS


def _resources(spec, task):
  label = spec["components"][spec["root"]["dag"]["tasks"][task][
      "componentRef"]["name"]]["executorLabel"]
  container = spec["deploymentSpec"]["executors"][label]["container"]
  return container["image"], container.get("resources")


@pytest.mark.parametrize("target, image", [("kfp", IMAGE),
                                           ("vertex", PLAN_IMAGE)])
def test_plan_resources_are_compiled_into_every_container(compiled, target,
                                                          image):
  from kfp.client import client as kfp_client  # pylint: disable=g-import-not-at-top
  if target == "kfp":  # read back through the KFP client's own loader
    from google.protobuf import json_format  # pylint: disable=g-import-not-at-top
    spec = json_format.MessageToDict(kfp_client._extract_pipeline_yaml(  # pylint: disable=protected-access
        compiled["kfp"]).pipeline_spec)
  else:
    spec = _spec(compiled, target)
  assert _resources(spec, "Pruner.pruned") == (GPU_IMAGE, {
      "cpuLimit": 4.0, "memoryLimit": 16.0,
      "accelerator": {"type": "nvidia.com/gpu", "count": "1"}})
  assert _resources(spec, "CompressionEvaluator.ptq_int8") == (
      image, {"cpuLimit": 1.0, "memoryLimit": 8.0})
  # Defaults, also where TFX drops platform_config (file-based ExampleGen).
  assert _resources(spec, "ImportExampleGen") == (
      image, {"cpuLimit": 1.0, "memoryLimit": 2.0})
  for task in spec["root"]["dag"]["tasks"]:
    assert _resources(spec, task)[1], task


def test_every_container_points_at_an_importable_executor(compiled):
  executors = _spec(compiled, "kfp")["deploymentSpec"]["executors"]
  paths = {}
  for name, executor in executors.items():
    args = executor["container"]["args"]
    paths[name] = args[args.index("--executor_class_path") + 1]
  assert paths["Pruner.pruned_executor"] == (
      "tfx_compression.pruner.executor.Executor")
  for path in paths.values():
    module, cls = path.rsplit(".", 1)
    assert hasattr(importlib.import_module(module), cls), path


def test_beam_args_reach_the_containers(compiled):
  args = _spec(compiled, "kfp")["deploymentSpec"]["executors"][
      "ImportExampleGen_executor"]["container"]["args"]
  assert "--direct_running_mode=multi_processing" in args


def test_demo_plan_file_is_the_demo_plan():
  plan = plan_file.load_plan(DEMO_PLAN)
  assert dataclasses.replace(plan, resources=None) == cli.demo_plan()


@pytest.mark.parametrize("extra, message", [
    ([], "a container image is required: give --image"),
    (["--image", "tfx-compression:0.1.0"],
     "image must be a fully qualified image reference"),
    (["--image", IMAGE, "--output", "pipeline.json"],
     "the kfp target writes .yaml or .yml files"),
    (["--image", IMAGE, "--target", "vertex", "--output", "p.yaml"],
     "the vertex target writes .json files"),
])
def test_bad_image_or_output_is_one_line_and_exit_2(capsys, extra, message):
  code = cli.main(["compile-kubeflow", "--pipeline-root", ROOT, "--data",
                   "gs://bucket/data", "--run-fn", RUN_FN] + extra)
  assert code == cli.EXIT_BAD_INPUT
  err = capsys.readouterr().err.strip()
  assert err.startswith("error: ") and message in err
  assert len(err.splitlines()) == 1


def test_user_pipeline_with_transform_compiles_with_module_wheels(tmp_path):
  """Module files become wheels under the pipeline root at compile time."""
  for name, body in (("user_trainer.py", "def run_fn(fn_args):\n  pass\n"),
                     ("user_transform.py",
                      "def preprocessing_fn(inputs):\n  return inputs\n")):
    (tmp_path / name).write_text(body)
  root, output = tmp_path / "root", tmp_path / "pipeline.yaml"
  assert cli.main([
      "compile-kubeflow", "--data", "gs://bucket/data",
      "--trainer-module", str(tmp_path / "user_trainer.py"),
      "--transform-module", str(tmp_path / "user_transform.py"),
      "--train-steps", "50", "--pipeline-name", "my-pipeline",
      "--pipeline-root", str(root), "--image", IMAGE,
      "--output", str(output)]) == 0
  spec = yaml.safe_load(output.read_text())
  tasks = spec["root"]["dag"]["tasks"]
  assert {"StatisticsGen", "SchemaGen", "Transform", "Trainer"} <= set(tasks)
  assert spec["pipelineInfo"]["name"] == "my-pipeline"
  constant = lambda task, key: tasks[task]["inputs"]["parameters"][key][
      "runtimeValue"]["constant"]
  assert json.loads(constant("Trainer", "train_args")) == {"num_steps": 50}
  for task, module in (("Trainer", "user_trainer"),
                       ("Transform", "user_transform")):
    name, wheel = constant(task, "module_path").split("@")
    assert name == module
    assert wheel.startswith(str(root / "_wheels")) and os.path.isfile(wheel)
  assert _resources(spec, "Transform")[1] == {"cpuLimit": 1.0,
                                             "memoryLimit": 4.0}


def _flags(parser):
  return {s for a in parser._actions for s in a.option_strings}  # pylint: disable=protected-access


def test_run_and_compile_share_every_pipeline_option_and_all_have_help():
  subparsers = next(a for a in cli._parser()._actions  # pylint: disable=protected-access
                    if a.dest == "command").choices
  run, kfp = subparsers["run"], subparsers["compile-kubeflow"]
  assert _flags(run) - {"--workdir"} <= _flags(kfp)
  for parser in subparsers.values():
    for action in parser._actions:  # pylint: disable=protected-access
      assert action.help, (parser.prog, action.option_strings)


def test_a_wheel_upload_that_fails_names_itself_and_the_flag(tmp_path,
                                                             capsys):
  (tmp_path / "user_trainer.py").write_text("def run_fn(fn_args):\n  pass\n")
  (tmp_path / "blocked").write_text("a file where the root's folder goes")
  root = tmp_path / "blocked" / "root"
  assert cli.main([
      "compile-kubeflow", "--data", "gs://bucket/data",
      "--trainer-module", str(tmp_path / "user_trainer.py"),
      "--pipeline-root", str(root), "--image", IMAGE,
      "--output", str(tmp_path / "p.yaml")]) == cli.EXIT_BAD_INPUT
  err = capsys.readouterr().err.strip().splitlines()[-1]
  assert err.startswith(f"error: uploading the module wheels to {root}/_wheels "
                        "failed ("), err
  assert "under --pipeline-root, which this machine must be able to write" in err
  assert not (tmp_path / "p.yaml").exists()
