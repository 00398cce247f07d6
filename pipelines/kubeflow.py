"""Compiling a pipeline for Kubeflow Pipelines v2 (KFP pipeline spec JSON).

TFX 1.16's KubeflowV2DagRunner only compiles: the JSON is submitted with the
KFP SDK client or the Kubeflow UI (see kubeflow/README.md).
"""

import os
from typing import Optional

DEFAULT_IMAGE = "tfx-compression:0.1.0"
EXECUTOR_LAUNCHER = "tfx.orchestration.kubeflow.v2.container.kubeflow_v2_run_executor"


def compile_pipeline(tfx_pipeline, output_path: str, image: str = DEFAULT_IMAGE,
                     display_name: Optional[str] = None) -> str:
  """Writes the Kubeflow Pipelines v2 spec of `tfx_pipeline` to `output_path`.

  Args:
    tfx_pipeline: A pipeline from `create_pipeline` (metadata_path None:
      Kubeflow provides MLMD); its pipeline_root and data paths must be
      reachable from the cluster (e.g. gs://...).
    output_path: The .json file to write.
    image: Container image with tfx-compression installed (kubeflow/Dockerfile).
    display_name: Optional name shown in the Kubeflow UI.

  Returns:
    `output_path`.
  """
  from tfx.orchestration.kubeflow.v2 import kubeflow_v2_dag_runner  # pylint: disable=g-import-not-at-top
  config = kubeflow_v2_dag_runner.KubeflowV2DagRunnerConfig(
      default_image=image, display_name=display_name)
  kubeflow_v2_dag_runner.KubeflowV2DagRunner(
      config=config, output_dir=os.path.dirname(os.path.abspath(output_path)),
      output_filename=os.path.basename(output_path)).run(tfx_pipeline)
  return output_path
