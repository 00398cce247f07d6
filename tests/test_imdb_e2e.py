"""The drop-in on TFX's OWN IMDB native-Keras example, module unmodified.

`imdb_pipeline_native_keras._create_pipeline` (CsvExampleGen, StatisticsGen,
SchemaGen, ExampleValidator, Transform with a string vocabulary, a
Bidirectional-LSTM Trainer saving with `tf.saved_model.save`, the
latest-blessed Resolver, Evaluator, Pusher) on the ~100 reviews shipped in
the tfx wheel, with only the Trainer's steps lowered; `add_compression`
appended: a float TFLite, a dynamic-range TFLite and a pruned (fine-tuned
through the module's own `_build_keras_model`) TFLite, each judged as a
binary classifier against the Trainer's model, then the CandidateSelector.
"""

import json
import os

import pytest

import imdb_example
import tfx_examples

VARIANTS = ("none", "ptq_dynamic_range", "pruned_tflite")


def _plan(inputs):
  # pylint: disable=g-import-not-at-top
  from tfx_compression.compression_evaluator.config import Benchmark
  from tfx_compression.compression_evaluator.config import CompressionEvaluatorConfig
  from tfx_compression.fine_tuning.config import FineTuning
  from tfx_compression.pipelines.compression import CompressionPlan
  from tfx_compression.post_training_quantizer.config import PostTrainingQuantizerConfig
  from tfx_compression.pruner.config import PrunerConfig
  return CompressionPlan(
      lite_optimizations=("none",), ptq_modes=("dynamic_range",),
      ptq_config=PostTrainingQuantizerConfig(inputs=inputs),
      pruner=PrunerConfig(fine_tuning=FineTuning(epochs=1, steps_per_epoch=5)),
      model_fn=imdb_example.MODEL_FN,
      evaluator=CompressionEvaluatorConfig(benchmark=Benchmark(
          warmup_runs=2, runs=10, rounds=3, measure_memory=False)))


def _lite_converters_take(components, inputs):
  """The plan has no LiteConverter template: set `inputs` on each built one."""
  # pylint: disable=g-import-not-at-top
  import dataclasses
  from tfx_compression.lite_converter.component import LiteConverter
  from tfx_compression.lite_converter.config import LiteConverterConfig
  for component in components:
    if isinstance(component, LiteConverter):
      config = LiteConverterConfig.from_exec_properties(
          component.exec_properties)
      component.exec_properties.update(
          dataclasses.replace(config, inputs=inputs).to_exec_properties())


@pytest.mark.e2e
def test_imdb_example_with_compression(tmp_path):
  # pylint: disable=g-import-not-at-top
  from tfx_compression.pipelines.compression import add_compression
  imdb = imdb_example.imdb_pipeline(str(tmp_path), train_steps=20,
                                    eval_steps=5)
  inputs = os.environ.get("IMDB_TFLITE_INPUTS", "model")
  branches = add_compression(
      imdb.component("CsvExampleGen").outputs["examples"],
      imdb.component("Trainer").outputs["model"], _plan(inputs),
      transform_graph=imdb.component("Transform").outputs["transform_graph"])
  _lite_converters_take(branches, inputs)
  tfx_examples.run(imdb, branches)

  verdicts = {}
  evaluators = [c.id for c in branches
                if c.id.startswith("CompressionEvaluator.")]
  assert sorted(evaluators) == sorted(
      f"CompressionEvaluator.{v}" for v in VARIANTS)
  for node_id in evaluators:
    (evaluation,) = tfx_examples.outputs(imdb, node_id)["evaluation"]
    report = json.load(open(os.path.join(evaluation.uri, "report.json")))
    assert report["error"] is None, (node_id, report["error"])
    assert evaluation.get_string_custom_property("task") == "binary", node_id
    assert evaluation.get_custom_property("metric_auc") is not None, node_id
    verdicts[node_id.split(".", 1)[1]] = (
        evaluation.get_string_custom_property("verdict"),
        evaluation.get_custom_property("metric_auc"))
  print("IMDB verdicts (verdict, AUC):", verdicts)
  (blessing,) = tfx_examples.outputs(imdb, "CandidateSelector")["blessing"]
  print("CandidateSelector:", blessing.get_string_custom_property(
      "selected_variant") or "nothing selected",
        "blessed:", blessing.get_int_custom_property("blessed"))
