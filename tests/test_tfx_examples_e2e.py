"""The drop-in on TFX's OWN example pipelines (penguin, MNIST), left unmodified.

Each test appends `add_compression(...)` to the example's components, runs
the whole pipeline twice with LocalDagRunner, and checks that every branch
ran with a real verdict, that the converted models take the RAW features the
serving signature takes, and that the host pipeline's own resolver,
Evaluator and Pusher keep working after our candidates were blessed.
"""

import json
import os

import numpy as np
import pytest

import tfx_examples
from tfx_compression.framework import properties
from tfx_compression.compression_evaluator.config import Benchmark
from tfx_compression.compression_evaluator.config import CompressionEvaluatorConfig
from tfx_compression.fine_tuning.config import FineTuning
from tfx_compression.pipelines.compression import add_compression
from tfx_compression.pipelines.compression import CompressionPlan
from tfx_compression.pruner.config import PolynomialDecay
from tfx_compression.pruner.config import PrunerConfig
from tfx_compression.quantization_aware_trainer.config import QatConfig

VARIANTS = ("none", "dynamic_range", "ptq_int8", "pruned_tflite", "pruned_qat")
FAST = CompressionEvaluatorConfig(
    benchmark=Benchmark(warmup_runs=2, runs=20, measure_memory=False))


def _plan(serving_dir, lite_optimizations=("none", "dynamic_range"),
          fine_tuning=(FineTuning(epochs=3), FineTuning(epochs=2)),
          **user_code):
  pruning, qat = fine_tuning
  return CompressionPlan(
      lite_optimizations=lite_optimizations, ptq_modes=("int8",),
      pruner=PrunerConfig(schedule=PolynomialDecay(0.3, 0.6, frequency=5),
                          fine_tuning=pruning),
      qat=qat and QatConfig(fine_tuning=qat),
      evaluator=FAST, push_destination=serving_dir, **user_code)


def _branches(example, plan):
  return add_compression(
      example.component("CsvExampleGen" if "CsvExampleGen" in example.ids
                        else "ImportExampleGen").outputs["examples"],
      example.component("Trainer").outputs["model"], plan,
      transform_graph=example.component("Transform").outputs["transform_graph"],
      schema=example.component("SchemaGen").outputs["schema"])


def _verdicts(example, variants=VARIANTS):
  verdicts = {}
  for variant in variants:
    out = tfx_examples.outputs(example, f"CompressionEvaluator.{variant}")
    (evaluation,), (blessing,) = out["evaluation"], out["blessing"]
    report = json.load(open(os.path.join(evaluation.uri, "report.json")))
    assert report["error"] is None, (variant, report["error"])
    assert report["tfma"]["complete"], (variant, report["checks"])
    assert os.listdir(blessing.uri) == [report["verdict"]]
    verdicts[variant] = report
  return verdicts


def _raw_feature_tflite(example, variant, serving_features):
  producer, key = {
      "none": ("LiteConverter.none", "tflite_model"),
      "ptq_int8": ("PostTrainingQuantizer.ptq_int8", "quantized_model")}[variant]
  (model,) = tfx_examples.outputs(example, producer)[key]
  assert model.get_custom_property(properties.TFLITE_INPUTS) == "serving"
  report = json.load(open(os.path.join(model.uri, "report.json")))
  assert report["summary"]["input_names"] == sorted(serving_features)
  return model, report


def _host_still_works(example, trainer_model_id):
  """The host's resolver gave its Evaluator the Trainer's model, blessed."""
  resolved = tfx_examples.resolved_ids(example, "latest_blessed_model_resolver")
  assert resolved and set(resolved) == {trainer_model_id}
  evaluator = next(i for i in example.ids if i.startswith("Evaluator"))
  (blessing,) = tfx_examples.outputs(example, evaluator)["blessing"]
  assert blessing.get_int_custom_property("blessed") == 1


@pytest.mark.e2e
def test_penguin_example_with_every_branch(penguin):
  plan = _plan(os.path.join(penguin.workdir, "compressed"),
               model_fn="build", module_file=tfx_examples.PENGUIN_MODEL_FN_FILE,
               compare_with_latest_blessed=True)
  branches = _branches(penguin, plan)
  (trainer_model,) = tfx_examples.outputs(penguin, "Trainer")["model"]
  tfx_examples.run(penguin, branches)
  verdicts = _verdicts(penguin)
  assert verdicts["none"]["verdict"] == "BLESSED"
  assert verdicts["ptq_int8"]["verdict"] == "BLESSED"
  for variant in ("none", "ptq_int8"):
    _, report = _raw_feature_tflite(penguin, variant, tfx_examples.PENGUIN_FEATURES)
    # End to end: the TFLite (Transform folded in) answers like the
    # Trainer's serving signature on the same serialized raw examples.
    serving = report["serving_validation"]
    assert serving["argmax_agreement"] >= 0.98, (variant, serving)
    if variant == "none":
      assert serving["max_abs_diff"] < 1e-4
  (pruned,) = tfx_examples.outputs(penguin, "Pruner.pruned")["pruned_model"]
  pruner = json.load(open(os.path.join(pruned.uri, "report.json")))
  assert pruner["source_saved_with"] == "tf.saved_model.save"
  assert pruner["label"] == "species_xf"  # the Transform's, trained on
  assert pruner["rebuilt_by_model_fn_max_abs_diff"] < 1e-5
  assert pruner["export_serving_max_abs_diff"] < 1e-4
  assert pruner["pruned_layers_sparsity"] > 0.5
  # The export keeps every signature of TFX's example, transform included.
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  exported = tf.saved_model.load(os.path.join(pruned.uri, "Format-Serving"))
  assert set(exported.signatures) == {"serving_default", "transform_features"}
  # The host's Evaluator blessed its Trainer's model: the second baseline.
  assert verdicts["none"]["baselines"] == ["baseline", "blessed_baseline"]
  assert "sparse_categorical_accuracy[Overall]@blessed_baseline" in {
      c["name"] for c in verdicts["none"]["checks"]}
  # A second run (our candidates now blessed) leaves the host working, and
  # our resolver still takes the host's model, not a candidate.
  tfx_examples.run(penguin, branches)
  _host_still_works(penguin, trainer_model.id)
  resolved = tfx_examples.resolved_ids(penguin,
                                       "CompressionLatestBlessedBaseline")
  assert resolved and set(resolved) == {trainer_model.id}
  # The host's resolver also saw the CandidateSelector's blessed Model and
  # blessing (no current_model_id) and left them alone; its one Pusher
  # pushed the winner.
  (selected,) = tfx_examples.outputs(penguin, "CandidateSelector")["blessing"]
  assert selected.get_int_custom_property("blessed") == 1
  assert not selected.has_custom_property("current_model_id")
  assert os.listdir(os.path.join(penguin.workdir, "compressed"))


@pytest.mark.e2e
def test_mnist_example_with_converter_ptq_and_pruner_branches(tmp_path):
  mnist = tfx_examples.mnist_pipeline(str(tmp_path))
  # The converter, PTQ and Pruner branches; dynamic range, QAT and the
  # second run (the host's resolver on run 2) are penguin's to check.
  plan = _plan(str(tmp_path / "compressed"), lite_optimizations=("none",),
               fine_tuning=(FineTuning(epochs=1, steps_per_epoch=30), None),
               model_fn=tfx_examples.MNIST_MODEL_FN)
  branches = _branches(mnist, plan)
  tfx_examples.run(mnist, branches)
  verdicts = _verdicts(mnist, ["none", "ptq_int8", "pruned_tflite"])
  assert verdicts["none"]["verdict"] == "BLESSED"
  model, _ = _raw_feature_tflite(mnist, "none", ["image_floats"])
  # The pushed TFLite reads the raw 784 floats TF Serving reads.
  from tfx_compression.framework import artifact_io  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.tflite import inference  # pylint: disable=g-import-not-at-top
  data = open(artifact_io.tflite_path(model.uri), "rb").read()
  out = inference.predict(data, {"image_floats": np.zeros((2, 784),
                                                           np.float32)})
  assert set(out) == {"output_0"} and out["output_0"].shape == (2, 10)
