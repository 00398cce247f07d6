"""Reading a finished local run's outputs back from its MLMD database."""

import dataclasses
from typing import Any, Dict, List


@dataclasses.dataclass(frozen=True)
class OutputArtifact:
  """One artifact a node published in its latest execution."""

  node_id: str
  key: str
  uri: str
  properties: Dict[str, Any]


def _value(v) -> Any:
  kind = v.WhichOneof("value")
  return getattr(v, kind) if kind else None


def latest_outputs(metadata_path: str, pipeline_name: str,
                   node_id: str) -> List[OutputArtifact]:
  """Returns the outputs of the latest successful execution of `node_id`."""
  # pylint: disable=g-import-not-at-top
  from ml_metadata import metadata_store
  from ml_metadata.proto import metadata_store_pb2
  from tfx.orchestration import metadata
  store = metadata_store.MetadataStore(
      metadata.sqlite_metadata_connection_config(metadata_path))
  context = store.get_context_by_type_and_name("node",
                                               f"{pipeline_name}.{node_id}")
  if context is None:
    return []
  done = (metadata_store_pb2.Execution.COMPLETE,
          metadata_store_pb2.Execution.CACHED)
  executions = [e for e in store.get_executions_by_context(context.id)
                if e.last_known_state in done]
  if not executions:
    return []
  latest = max(executions, key=lambda e: (e.create_time_since_epoch, e.id))
  events = [e for e in store.get_events_by_execution_ids([latest.id])
            if e.type == metadata_store_pb2.Event.OUTPUT]
  artifacts = {a.id: a for a in store.get_artifacts_by_id(
      [e.artifact_id for e in events])}
  outputs = []
  for event in events:
    artifact = artifacts[event.artifact_id]
    key = event.path.steps[0].key if event.path.steps else ""
    props = {k: _value(v) for k, v in artifact.custom_properties.items()}
    outputs.append(OutputArtifact(node_id, key, artifact.uri, props))
  return outputs
