"""The README's drop-in: add_compression appended to a plain user pipeline.

Checks MLMD lineage: baseline model -> compressed model -> blessing -> pushed.
"""

import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _readme_snippet() -> str:
  text = open(os.path.join(ROOT, "README.md")).read()
  (block,) = [b for b in re.findall(r"```python\n(.*?)```", text, re.S)
              if "add_compression(" in b]
  return block


def _producer_and_inputs(store, artifact_id):
  """(execution, {input key: [artifact ids]}) of the execution that output it.

  A cached execution records the artifact it reuses as its output too; the
  first execution is the one that produced it.
  """
  from ml_metadata.proto import metadata_store_pb2  # pylint: disable=g-import-not-at-top
  event = min((e for e in store.get_events_by_artifact_ids([artifact_id])
               if e.type == metadata_store_pb2.Event.OUTPUT),
              key=lambda e: e.execution_id)
  inputs = {}
  for e in store.get_events_by_execution_ids([event.execution_id]):
    if e.type == metadata_store_pb2.Event.INPUT:
      inputs.setdefault(e.path.steps[0].key, []).append(e.artifact_id)
  return event.execution_id, inputs


@pytest.mark.e2e
def test_drop_in_snippet_runs_and_lineage_links_to_push(trained_pipeline,
                                                       tmp_path):
  # pylint: disable=g-import-not-at-top
  from conftest import PIPELINE_NAME
  from ml_metadata import metadata_store
  from tfx.orchestration import metadata
  from tfx_compression.pipelines import results
  serving = str(tmp_path / "serving")
  exec(_readme_snippet(), {  # pylint: disable=exec-used
      "DATA_ROOT": trained_pipeline.data_root, "SERVING_DIR": serving,
      "PIPELINE_NAME": PIPELINE_NAME,
      "PIPELINE_ROOT": trained_pipeline.pipeline_root,
      "METADATA_PATH": trained_pipeline.metadata_path})
  out = lambda node: results.latest_outputs(trained_pipeline.metadata_path,
                                            PIPELINE_NAME, node)
  (pushed,) = out("Pusher.none")["pushed_model"]
  assert pushed.get_int_custom_property("pushed") == 1
  assert os.listdir(os.path.join(serving, "none"))
  assert os.listdir(os.path.join(serving, "baseline"))  # the user's Pusher
  store = metadata_store.MetadataStore(
      metadata.sqlite_metadata_connection_config(trained_pipeline.metadata_path))
  _, pusher_inputs = _producer_and_inputs(store, pushed.id)
  (tflite_id,) = pusher_inputs["model"]
  (blessing_id,) = pusher_inputs["model_blessing"]
  _, evaluator_inputs = _producer_and_inputs(store, blessing_id)
  assert evaluator_inputs["model"] == [tflite_id]
  (baseline_id,) = evaluator_inputs["baseline_model"]
  _, converter_inputs = _producer_and_inputs(store, tflite_id)
  assert converter_inputs["model"] == [baseline_id]
  assert baseline_id == trained_pipeline.model.id
  (blessing,) = store.get_artifacts_by_id([blessing_id])
  assert blessing.custom_properties["blessed"].int_value == 1
