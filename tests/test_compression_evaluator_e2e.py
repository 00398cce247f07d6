"""CompressionEvaluator in a LocalDagRunner pipeline, gating the stock Pusher."""

import glob
import os

import pytest

from tfx_compression.framework import properties
from tfx_compression.compression_evaluator import spec


@pytest.mark.e2e
def test_pusher_pushes_only_when_blessed(trained_pipeline, tmp_path):
  # pylint: disable=g-import-not-at-top
  from conftest import PIPELINE_NAME
  from tfx.components.pusher.component import Pusher
  from tfx.orchestration import metadata
  from tfx.orchestration import pipeline as tfx_pipeline
  from tfx.orchestration.local import local_dag_runner
  from tfx.proto import pusher_pb2
  from tfx_compression import Budgets
  from tfx_compression import CompressionEvaluator
  from tfx_compression import CompressionEvaluatorConfig
  from tfx_compression import LiteConverter
  from tfx_compression.pipelines import pipeline
  from tfx_compression.pipelines import results
  example_gen, trainer = pipeline.example_gen_and_trainer(
      trained_pipeline.data_root, 12)
  examples = example_gen.outputs["examples"]
  converter = LiteConverter(model=trainer.outputs["model"], examples=examples)
  tflite = converter.outputs["tflite_model"]
  components = [example_gen, trainer, converter]
  # The "ok" branch is the README example's (same ids, config, destination),
  # so whichever of the two tests runs second reuses it from the cache.
  destinations = {
      "ok": os.path.join(os.path.dirname(trained_pipeline.pipeline_root),
                         "serving"),
      "tight": str(tmp_path / "serving_tight")}
  branches = {
      "ok": ("", CompressionEvaluatorConfig(
          slices=(("label",),), budgets=Budgets(max_size_bytes=200_000))),
      "tight": (".tight", CompressionEvaluatorConfig(
          budgets=Budgets(max_size_bytes=20_000))),
  }
  for name, (suffix, config) in branches.items():
    evaluator = CompressionEvaluator(
        examples=examples, model=tflite,
        baseline_model=trainer.outputs["model"], config=config,
    ).with_id(f"CompressionEvaluator{suffix}")
    pusher = Pusher(
        model=tflite, model_blessing=evaluator.outputs["blessing"],
        push_destination=pusher_pb2.PushDestination(
            filesystem=pusher_pb2.PushDestination.Filesystem(
                base_directory=destinations[name])),
    ).with_id(f"Pusher{suffix}")
    components += [evaluator, pusher]
  local_dag_runner.LocalDagRunner().run(tfx_pipeline.Pipeline(
      pipeline_name=PIPELINE_NAME,
      pipeline_root=trained_pipeline.pipeline_root,
      components=components, enable_cache=True,
      metadata_connection_config=metadata.sqlite_metadata_connection_config(
          trained_pipeline.metadata_path)))

  def outputs(component_id):
    return results.latest_outputs(trained_pipeline.metadata_path,
                                  PIPELINE_NAME, component_id)

  # The Trainer came from the session fixture's cache.
  assert outputs("Trainer")["model"][0].uri == trained_pipeline.model.uri
  ok = outputs("CompressionEvaluator")["blessing"][0]
  assert ok.get_int_custom_property("blessed") == 1
  assert os.listdir(ok.uri) == ["BLESSED"]
  pushed = outputs("Pusher")["pushed_model"][0]
  assert pushed.get_int_custom_property("pushed") == 1
  assert glob.glob(os.path.join(destinations["ok"], "*", "tflite"))

  tight = outputs("CompressionEvaluator.tight")
  assert tight["blessing"][0].get_int_custom_property("blessed") == 0
  message = tight["blessing"][0].get_string_custom_property(
      properties.BLESSING_MESSAGE)
  assert "size_bytes" in message and "exceeds the budget" in message
  assert os.path.isfile(os.path.join(tight[spec.EVALUATION_KEY][0].uri,
                                     spec.REPORT_HTML_FILE))
  not_pushed = outputs("Pusher.tight")["pushed_model"][0]
  assert not_pushed.get_int_custom_property("pushed") == 0
  assert not glob.glob(os.path.join(destinations["tight"], "*"))
