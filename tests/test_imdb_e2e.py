"""The drop-in on TFX's OWN IMDB native-Keras example, module unmodified.

`imdb_pipeline_native_keras._create_pipeline` (CsvExampleGen, StatisticsGen,
SchemaGen, ExampleValidator, Transform with a string vocabulary, a
Bidirectional-LSTM Trainer saving with `tf.saved_model.save`, the
latest-blessed Resolver, Evaluator, Pusher) on the ~100 reviews shipped in
the tfx wheel, with only the Trainer's steps lowered (on the component);
`add_compression` appended with one branch (to keep the suite short): a
pruned TFLite (fine-tuned through the module's own `_build_keras_model`),
judged as a binary classifier against the Trainer's model, then the
CandidateSelector.

What the example needs from the plan:
- Nothing for conversion: the TFLite model takes the raw review text, the
  Transform graph folded in (its vocabulary as an in-memory table, the
  whitespace split as select TF ops); the LSTM converts at batch 1 (fused
  LSTM, `fixed_batch`).
- task='binary' for the evaluator: a `tf.saved_model.save` export keeps no
  compiled loss, and one logit column over 0/1 labels could be a regression.
- The 9:1 hash split leaves ~11 eval rows: validation (100 asked) and the
  evaluation run on those few.
"""

import json
import os

import pytest

import tfx_examples

VARIANTS = ("pruned_tflite",)
INPUTS = "serving"


def _plan():
  # pylint: disable=g-import-not-at-top
  from tfx_compression.compression_evaluator.config import Benchmark
  from tfx_compression.compression_evaluator.config import CompressionEvaluatorConfig
  from tfx_compression.fine_tuning.config import FineTuning
  from tfx_compression.lite_converter.config import LiteConverterConfig
  from tfx_compression.pipelines.compression import CompressionPlan
  from tfx_compression.pruner.config import PrunerConfig
  return CompressionPlan(
      # One branch, to keep the suite short: the Pruner (prunes the Dense
      # layers, skips Embedding and Bidirectional), its model converted by a
      # LiteConverter (the LSTM at batch 1).
      lite_optimizations=(), ptq_modes=(),
      lite_config=LiteConverterConfig(inputs=INPUTS),
      pruner=PrunerConfig(fine_tuning=FineTuning(epochs=1, steps_per_epoch=5)),
      model_fn=tfx_examples.IMDB_MODEL_FN,
      evaluator=CompressionEvaluatorConfig(task="binary", benchmark=Benchmark(
          warmup_runs=2, runs=10, rounds=3, measure_memory=False)))


@pytest.mark.e2e
def test_imdb_example_with_compression(tmp_path):
  # pylint: disable=g-import-not-at-top
  from tfx_compression.framework import properties
  from tfx_compression.pipelines.compression import add_compression
  imdb = tfx_examples.imdb_pipeline(str(tmp_path), train_steps=20,
                                    eval_steps=5)
  branches = add_compression(
      imdb.component("CsvExampleGen").outputs["examples"],
      imdb.component("Trainer").outputs["model"], _plan(),
      transform_graph=imdb.component("Transform").outputs["transform_graph"])
  tfx_examples.run(imdb, branches)

  # The converted models read the raw review, one review a call.
  for node_id, key in [("LiteConverter.pruned_tflite", "tflite_model")]:
    (model,) = tfx_examples.outputs(imdb, node_id)[key]
    assert model.get_custom_property(properties.TFLITE_INPUTS) == INPUTS
    report = json.load(open(os.path.join(model.uri, "report.json")))
    assert report["summary"]["input_names"] == ["text"], node_id
    assert report["summary"]["fixed_batch"], node_id
    assert "StringSplitV2" in report["summary"]["flex_ops"], node_id
    print(node_id, "validated on", report["validation"]["num_examples"],
          "eval examples")

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
    auc = evaluation.get_custom_property("metric_auc")
    assert auc is not None, node_id
    verdicts[node_id.split(".", 1)[1]] = (
        evaluation.get_string_custom_property("verdict"), auc,
        report["tfma"]["examples"])
  print("IMDB verdicts (verdict, AUC, eval examples):", verdicts)
  (pruned,) = tfx_examples.outputs(imdb, "Pruner.pruned")["pruned_model"]
  skipped = json.load(open(os.path.join(pruned.uri, "report.json")))[
      "skipped_layers"]
  assert "tfmot cannot prune Bidirectional layers" in str(skipped), skipped

  (blessing,) = tfx_examples.outputs(imdb, "CandidateSelector")["blessing"]
  selected = blessing.get_string_custom_property("selected_variant")
  print("CandidateSelector selected:", selected or "nothing",
        "blessed:", blessing.get_int_custom_property("blessed"))
  if blessing.get_int_custom_property("blessed"):
    assert verdicts[selected][0] == "BLESSED"
