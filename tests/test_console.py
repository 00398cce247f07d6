"""The console's progress lines: this run's executions only, from MLMD."""

import io

from tfx_compression.pipelines import console

_COMPLETE, _FAILED, _CACHED = 3, 4, 5  # MLMD Execution.State


def test_progress_shows_this_run_only_with_durations_never_negative(tmp_path):
  # pylint: disable=g-import-not-at-top
  from ml_metadata import metadata_store
  from ml_metadata.proto import metadata_store_pb2
  from tfx.orchestration import metadata
  # pylint: enable=g-import-not-at-top
  path = str(tmp_path / "metadata.sqlite")
  store = metadata_store.MetadataStore(
      metadata.sqlite_metadata_connection_config(path))
  node_type = store.put_context_type(metadata_store_pb2.ContextType(
      name="node"))
  step_type = store.put_execution_type(metadata_store_pb2.ExecutionType(
      name="Step"))
  contexts = {}
  for node in ("Trainer", "PostTrainingQuantizer.ptq_int8"):
    (contexts[node],) = store.put_contexts([metadata_store_pb2.Context(
        type_id=node_type, name=f"p.{node}")])

  def execute(node, state):
    (execution,) = store.put_executions([metadata_store_pb2.Execution(
        type_id=step_type, last_known_state=state)])
    store.put_attributions_and_associations([], [
        metadata_store_pb2.Association(context_id=contexts[node],
                                       execution_id=execution)])

  # Earlier runs in the same workdir.
  execute("PostTrainingQuantizer.ptq_int8", _FAILED)
  execute("PostTrainingQuantizer.ptq_int8", _FAILED)
  execute("Trainer", _COMPLETE)
  out = io.StringIO()
  progress = console.Progress(path, "p", list(contexts), out, interval=0.05)
  progress.start()
  execute("Trainer", _CACHED)
  execute("PostTrainingQuantizer.ptq_int8", _COMPLETE)
  progress.stop()
  assert sorted(out.getvalue().splitlines()) == [
      "  cached Trainer", "  done PostTrainingQuantizer.ptq_int8 (0 s)"]
