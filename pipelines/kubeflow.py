"""Compiling a pipeline for open-source Kubeflow Pipelines v2 or Vertex AI.

TFX 1.16's KubeflowV2DagRunner compiles a Vertex AI PipelineJob (the pipeline
spec in a wrapper with the run's settings). Open-source KFP takes the inner
pipeline spec alone, as YAML, and reads the pipeline root from its
`defaultPipelineRoot`. Both targets are compiled with pipeline spec schema
2.1.0: KFP's v2 backend resolves only its `constant` parameter values (the
2.0.0 `constantValue` form fails at run time), and Vertex AI takes both.
kubeflow/README.md shows how to submit each file.
"""

import enum
import json
import os
from typing import Optional

from tfx_compression.framework import config_utils
from tfx_compression.errors import CompressionConfigError
from tfx_compression.pipelines import resources as resources_lib


class Target(str, enum.Enum):
  """Who runs the compiled pipeline."""

  KFP = "kfp"  # open-source Kubeflow Pipelines v2: pipeline spec YAML
  VERTEX = "vertex"  # Vertex AI Pipelines: PipelineJob JSON


OUTPUT_SUFFIXES = {Target.KFP: (".yaml", ".yml"), Target.VERTEX: (".json",)}


def compile_job(tfx_pipeline, image: str,
                resources: Optional[resources_lib.ResourcePlan] = None,
                display_name: Optional[str] = None) -> dict:
  """Returns the Vertex AI PipelineJob of `tfx_pipeline` as a dict.

  Every container gets `image` (or its kind's own image) and its kind's
  resources. They are set on the compiled spec rather than through
  `with_platform_config`, which TFX ignores for file-based ExampleGens.

  Args:
    tfx_pipeline: A pipeline from `create_pipeline` with metadata_path None
      (the orchestrator provides MLMD); its pipeline root, data and module
      files must be reachable from the cluster (see kubeflow/README.md).
    image: Container image with tfx-compression installed, fully qualified.
    resources: Resources per component kind; None for the defaults.
    display_name: Name shown in the UI; None: the pipeline name.
  """
  from tfx_compression import extras  # pylint: disable=g-import-not-at-top
  extras.require("kfp.pipeline_spec.pipeline_spec_pb2", extras.KUBEFLOW,
                 "Compiling for Kubeflow", "kfp-pipeline-spec")
  from tfx.orchestration.kubeflow.v2 import kubeflow_v2_dag_runner  # pylint: disable=g-import-not-at-top
  resources_lib.check_image_reference(image, "image")
  resources = resources or resources_lib.ResourcePlan()
  config = kubeflow_v2_dag_runner.KubeflowV2DagRunnerConfig(
      default_image=image, display_name=display_name,
      use_pipeline_spec_2_1=True)
  try:
    job = kubeflow_v2_dag_runner.KubeflowV2DagRunner(config=config).run(
        tfx_pipeline, write_out=False)
  except Exception as e:  # pylint: disable=broad-except
    if not _in_wheel_upload(e):
      raise
    root = tfx_pipeline.pipeline_info.pipeline_root
    cause = str(e).strip().splitlines()[0] if str(e).strip() else ""
    raise CompressionConfigError(
        f"uploading the module wheels to {root}/_wheels failed "
        f"({type(e).__name__}: {cause}): compiling copies each "
        "--trainer-module/--transform-module, packaged as a wheel, under "
        "--pipeline-root, which this machine must be able to write (for "
        "gs://: gcloud auth application-default login; gsutil ls the "
        "bucket)") from e
  _deploy(job["pipelineSpec"], tfx_pipeline, resources)
  return job


def _in_wheel_upload(error: Exception) -> bool:
  """Whether `error` was raised while TFX packaged and copied a user module
  wheel under the pipeline root (tfx/components/util/udf_utils.py)."""
  import traceback  # pylint: disable=g-import-not-at-top
  return any(frame.filename.endswith(os.path.join("util", "udf_utils.py"))
             for frame in traceback.extract_tb(error.__traceback__))


def _deploy(spec: dict, tfx_pipeline, plan: resources_lib.ResourcePlan):
  """Sets each component's image and resources in the compiled spec."""
  executors = spec["deploymentSpec"]["executors"]
  for component in tfx_pipeline.components:
    resources = plan.for_component(component)
    task = spec["root"]["dag"]["tasks"].get(component.id)
    if resources is None or task is None:
      continue
    label = spec["components"][task["componentRef"]["name"]]["executorLabel"]
    container = executors[label].get("container")
    if container is None:  # importer nodes have no container
      continue
    if resources.image:
      container["image"] = resources.image
    resource_spec = resource_spec_dict(resources)
    if resource_spec:
      container["resources"] = resource_spec


def resource_spec_dict(resources: resources_lib.Resources) -> dict:
  """`resources` as the JSON of a KFP PipelineContainerSpec.ResourceSpec."""
  # pylint: disable=g-import-not-at-top
  from google.protobuf import json_format
  from kfp.pipeline_spec import pipeline_spec_pb2
  spec = (pipeline_spec_pb2.PipelineDeploymentConfig.PipelineContainerSpec
          .ResourceSpec())
  if resources.cpu is not None:
    spec.cpu_limit = resources.cpu
  if resources.memory_gb is not None:
    spec.memory_limit = resources.memory_gb
  if resources.accelerator_type:
    spec.accelerator.type = resources.accelerator_type
    spec.accelerator.count = resources.accelerator_count
  return json_format.MessageToDict(spec)


def resolve_image(image: Optional[str],
                  resources: Optional[resources_lib.ResourcePlan]) -> str:
  """`image`, else `resources.image`, checked to be fully qualified.

  Raises:
    CompressionConfigError: Neither is set, or the image has no registry.
  """
  image = image or (resources.image if resources else None)
  if image is None:
    raise CompressionConfigError(
        "a container image is required: give --image (or resources.image in "
        "the plan), e.g. europe-docker.pkg.dev/project/repo/"
        "tfx-compression:0.1.0")
  return resources_lib.check_image_reference(image, "image")


def check_output_path(output_path: str, target: Target) -> str:
  """Returns `output_path` if `target`'s file type; raises otherwise.

  Raises:
    CompressionConfigError: e.g. a .json file for kfp (its client refuses
      it) or a .yaml file for vertex (it would lose the run's settings).
  """
  suffixes = OUTPUT_SUFFIXES[target]
  if not output_path.endswith(suffixes):
    raise CompressionConfigError(
        f"the {target.value} target writes {' or '.join(suffixes)} files; "
        f"got {output_path!r}")
  return output_path


def compile_pipeline(tfx_pipeline, output_path: str,
                     target: Target = Target.KFP,
                     image: Optional[str] = None,
                     resources: Optional[resources_lib.ResourcePlan] = None,
                     display_name: Optional[str] = None) -> str:
  """Writes `tfx_pipeline` compiled for `target` to `output_path`.

  Args:
    tfx_pipeline: See `compile_job`.
    output_path: `.yaml`/`.yml` for kfp (the KFP client refuses others),
      `.json` for vertex.
    target: `Target.KFP` writes the pipeline spec with the pipeline root as
      its `defaultPipelineRoot`; `Target.VERTEX` writes the PipelineJob.
    image: Container image; None: `resources.image`.
    resources: Image and resources per component kind; None for defaults.
    display_name: Name shown in the UI (vertex); None: the pipeline name.

  Returns:
    `output_path`.

  Raises:
    CompressionConfigError: No image, an image that is not fully qualified,
      or an output file name the target does not take.
  """
  target = config_utils.parse_enum(Target, target, "target")
  resources = resources or resources_lib.ResourcePlan()
  image = resolve_image(image, resources)
  check_output_path(output_path, target)
  job = compile_job(tfx_pipeline, image, resources, display_name)
  directory = os.path.dirname(os.path.abspath(output_path))
  os.makedirs(directory, exist_ok=True)
  with open(output_path, "w") as f:
    if target is Target.KFP:
      import yaml  # pylint: disable=g-import-not-at-top
      spec = dict(job["pipelineSpec"],
                  defaultPipelineRoot=job["runtimeConfig"]["gcsOutputDirectory"])
      yaml.safe_dump(spec, f, sort_keys=True)
    else:
      json.dump(job, f, indent=2, sort_keys=True)
  return output_path
