"""The README's drop-in: add_compression appended to a Transform pipeline.

The README's pipeline is TFX's penguin example; it runs in the session's
penguin workdir, so its ExampleGen, Transform and Trainer come from the cache.
Checks MLMD lineage: baseline model -> compressed model -> blessing ->
CandidateSelector -> pushed.
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
def test_drop_in_snippet_runs_and_lineage_links_to_push(penguin, tmp_path):
  # pylint: disable=g-import-not-at-top
  import tfx_examples
  from ml_metadata import metadata_store
  from tfx.examples.penguin import penguin_utils_keras
  from tfx.orchestration import metadata
  serving = str(tmp_path / "serving")
  exec(_readme_snippet(), {  # pylint: disable=exec-used
      "DATA_ROOT": os.path.join(penguin.workdir, "data", "labelled"),
      "MODULE_FILE": penguin_utils_keras.__file__, "SERVING_DIR": serving,
      "PIPELINE_NAME": penguin.name, "PIPELINE_ROOT": penguin.pipeline_root,
      "METADATA_PATH": penguin.metadata_path})
  out = lambda node: tfx_examples.outputs(penguin, node)
  (pushed,) = out("Pusher.selected")["pushed_model"]
  assert pushed.get_int_custom_property("pushed") == 1
  (version,) = os.listdir(serving)  # one winner, pushed once
  store = metadata_store.MetadataStore(
      metadata.sqlite_metadata_connection_config(penguin.metadata_path))
  _, pusher_inputs = _producer_and_inputs(store, pushed.id)
  (selected_id,) = pusher_inputs["model"]
  (selector_blessing_id,) = pusher_inputs["model_blessing"]
  _, selector_inputs = _producer_and_inputs(store, selected_id)
  (selector_blessing,) = store.get_artifacts_by_id([selector_blessing_id])
  props = selector_blessing.custom_properties
  assert props["blessed"].int_value == 1
  assert "current_model_id" not in props  # the host's resolver never picks it
  winner = props["selected_variant"].string_value
  index = ["none", "ptq_int8"].index(winner)
  (tflite_id,) = selector_inputs[f"model_{index}"]
  assert props["selected_model_id"].int_value == tflite_id
  (blessing_id,) = selector_inputs[f"blessing_{index}"]
  _, evaluator_inputs = _producer_and_inputs(store, blessing_id)
  assert evaluator_inputs["model"] == [tflite_id]
  (baseline_id,) = evaluator_inputs["baseline_model"]
  _, converter_inputs = _producer_and_inputs(store, tflite_id)
  assert converter_inputs["model"] == [baseline_id]
  assert "transform_graph" in converter_inputs
  # The baseline is the Trainer's model of TFX's own pipeline, from the cache.
  (trainer_model,) = out("Trainer")["model"]
  assert baseline_id == trainer_model.id
  (blessing,) = store.get_artifacts_by_id([blessing_id])
  assert blessing.custom_properties["blessed"].int_value == 1
  gzip = {}
  for variant in ("none", "ptq_int8"):
    evaluator = out(f"CompressionEvaluator.{variant}")
    assert evaluator["blessing"][0].get_int_custom_property("blessed") == 1
    gzip[variant] = evaluator["evaluation"][0].get_custom_property(
        "gzip_size_bytes")
  # Both blessed: the smaller after gzip (the default objective) won. On
  # penguin's 4-feature model that is the float one: int8's quantize and
  # dequantize ops outweigh its smaller weights.
  assert winner == min(gzip, key=gzip.get), gzip
