"""What every benchmark needs first: digits data through ImportExampleGen -> Trainer.

The Trainer runs under LocalDagRunner exactly as in the demo pipeline; the
benchmarks then call the compression components' executors on its artifacts.
"""

import os

# The package sets TF_USE_LEGACY_KERAS=1 before TensorFlow loads.
import tfx_compression  # pylint: disable=unused-import
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def trained(workdir: str, epochs: int = 12, custom_config=None,
            name: str = "bench", architecture: str = "cnn"):
  """Runs ImportExampleGen -> Trainer; returns (Examples, Model) artifacts.

  `architecture`: `cnn` (the demo's Trainer) or `mobilenet_v2`
  (`mobilenet.run_fn`).
  """
  # pylint: disable=g-import-not-at-top
  from tfx.orchestration import metadata, pipeline as tfx_pipeline
  from tfx.orchestration.local import local_dag_runner
  from tfx_compression.pipelines import digits_data, pipeline, results
  import mobilenet
  run_fns = {"cnn": pipeline.TRAINER_RUN_FN, "mobilenet_v2": mobilenet.RUN_FN}
  data = digits_data.write_digits_tfrecords(os.path.join(workdir, "data"))
  db = os.path.join(workdir, "m.sqlite")
  eg, trainer = pipeline.example_gen_and_trainer(
      data, epochs, run_fns[architecture], custom_config=custom_config)
  local_dag_runner.LocalDagRunner().run(tfx_pipeline.Pipeline(
      pipeline_name=name, pipeline_root=os.path.join(workdir, "root"),
      components=[eg, trainer],
      metadata_connection_config=metadata.sqlite_metadata_connection_config(db)))
  return (results.latest_outputs(db, name, eg.id)["examples"][0],
          results.latest_outputs(db, name, trainer.id)["model"][0])


def artifact(cls_name: str, uri: str):
  """A standard artifact of type `cls_name` at `uri`."""
  from tfx.types import standard_artifacts  # pylint: disable=g-import-not-at-top
  result = getattr(standard_artifacts, cls_name)()
  result.uri = uri
  return result
