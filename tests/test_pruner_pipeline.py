"""The Pruner inside a LocalDagRunner pipeline: failures publish nothing."""

import os

import pytest

from tfx_compression.fine_tuning.config import FineTuning
from tfx_compression.pruner.config import PrunerConfig


@pytest.mark.e2e
def test_failed_pruner_run_publishes_nothing(trained_pipeline):
  # pylint: disable=g-import-not-at-top
  from conftest import PIPELINE_NAME, TRAIN_EPOCHS
  from tfx.orchestration import metadata
  from tfx.orchestration import pipeline as tfx_pipeline
  from tfx.orchestration.local import local_dag_runner
  from tfx_compression import Pruner
  from tfx_compression.pipelines import pipeline
  from tfx_compression.pipelines import results
  example_gen, trainer = pipeline.example_gen_and_trainer(
      trained_pipeline.data_root, TRAIN_EPOCHS)
  pruner = Pruner(examples=example_gen.outputs["examples"],
                  model=trainer.outputs["model"],
                  config=PrunerConfig(fine_tuning=FineTuning(label_key="digit"))
                  ).with_id("Pruner.bad_label")
  with pytest.raises(ValueError, match="label_key 'digit' is not a feature"):
    local_dag_runner.LocalDagRunner().run(tfx_pipeline.Pipeline(
        pipeline_name=PIPELINE_NAME,
        pipeline_root=trained_pipeline.pipeline_root,
        components=[example_gen, trainer, pruner], enable_cache=True,
        metadata_connection_config=metadata.sqlite_metadata_connection_config(
            trained_pipeline.metadata_path)))
  assert results.latest_outputs(trained_pipeline.metadata_path, PIPELINE_NAME,
                                pruner.id) == {}
  node_dir = os.path.join(trained_pipeline.pipeline_root, pruner.id)
  leftovers = [os.path.join(r, f) for r, _, fs in os.walk(node_dir) for f in fs
               if "/.system/" not in r]
  assert leftovers == []
