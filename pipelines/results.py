"""Reading a finished local run's outputs back from its MLMD database."""

from typing import Dict, List


def latest_outputs(metadata_path: str, pipeline_name: str,
                   node_id: str) -> Dict[str, List]:
  """Returns the outputs of the latest completed or cached run of a node.

  Args:
    metadata_path: The SQLite MLMD file of a local run.
    pipeline_name: The pipeline's name.
    node_id: The component id, e.g. `Trainer` or `LiteConverter.none`.

  Returns:
    Output key -> list of `tfx.types.Artifact` (empty dict if never run).
  """
  # pylint: disable=g-import-not-at-top
  from ml_metadata import metadata_store
  from ml_metadata.proto import metadata_store_pb2
  from tfx.orchestration import metadata
  from tfx.types import artifact_utils
  store = metadata_store.MetadataStore(
      metadata.sqlite_metadata_connection_config(metadata_path))
  context = store.get_context_by_type_and_name("node",
                                               f"{pipeline_name}.{node_id}")
  if context is None:
    return {}
  done = (metadata_store_pb2.Execution.COMPLETE,
          metadata_store_pb2.Execution.CACHED)
  executions = [e for e in store.get_executions_by_context(context.id)
                if e.last_known_state in done]
  if not executions:
    return {}
  latest = max(executions, key=lambda e: (e.create_time_since_epoch, e.id))
  events = [e for e in store.get_events_by_execution_ids([latest.id])
            if e.type in (metadata_store_pb2.Event.OUTPUT,
                          metadata_store_pb2.Event.DECLARED_OUTPUT)]
  artifacts = {a.id: a for a in store.get_artifacts_by_id(
      [e.artifact_id for e in events])}
  types = {t.id: t for t in store.get_artifact_types_by_id(
      list({a.type_id for a in artifacts.values()}))}
  outputs: Dict[str, List] = {}
  for event in events:
    proto = artifacts[event.artifact_id]
    key = event.path.steps[0].key if event.path.steps else ""
    outputs.setdefault(key, []).append(
        artifact_utils.deserialize_artifact(types[proto.type_id], proto))
  return outputs
