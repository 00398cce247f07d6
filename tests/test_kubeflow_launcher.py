"""The launcher simulation: every compiled container runs, in dependency order.

A small plan that still has every kind of plumbing (ExampleGen, Preflight,
a Trainer from a module file, a compression step with a Beam pipeline and
two outputs (PostTrainingQuantizer), CompressionEvaluator, CandidateSelector,
Pusher; the Pruner, QAT and LiteConverter pass artifacts the same way and
are left out to keep the suite short) is compiled for KFP, and
`kfp_launcher` runs each task's container command with local artifact URIs,
feeding each task the artifacts its producers reported, as the KFP launcher
does on a cluster (without Vertex AI's ExampleGen driver hook, which
open-source KFP ignores).
"""

import os

import pytest
import yaml

import kfp_launcher
from tfx_compression.pipelines import cli

PLAN = """
lite_optimizations: []
ptq_modes: [int8]
ptq_config: {{num_calibration_examples: 32, num_validation_examples: 100,
             num_debug_examples: 20}}
evaluator:
  benchmark: {{runs: 10, warmup_runs: 2, measure_memory: false}}
push_destination: {serving}
"""
TRAINER_MODULE = ('"""The digits Trainer, as a user\'s module file."""\n'
                  "from tfx_compression.pipelines.digits_trainer import run_fn"
                  "  # pylint: disable=unused-import\n")
KINDS = {"ImportExampleGen", "Preflight", "Trainer", "PostTrainingQuantizer",
         "CompressionEvaluator", "CandidateSelector", "Pusher"}
VARIANTS = ("ptq_int8",)


@pytest.mark.e2e
def test_every_compiled_container_runs_like_the_kfp_launcher(tmp_path):
  from tfx_compression.pipelines import digits_data  # pylint: disable=g-import-not-at-top
  data = digits_data.write_digits_tfrecords(str(tmp_path / "data"))
  (tmp_path / "user_trainer.py").write_text(TRAINER_MODULE)
  serving = tmp_path / "serving"
  (tmp_path / "plan.yaml").write_text(PLAN.format(serving=serving))
  output, root = tmp_path / "pipeline.yaml", tmp_path / "root"
  assert cli.main([
      "compile-kubeflow", "--data", data,
      "--trainer-module", str(tmp_path / "user_trainer.py"),
      "--config", str(tmp_path / "plan.yaml"), "--epochs", "1",
      "--pipeline-root", str(root), "--image", "registry.example/tfx-c:test",
      "--output", str(output)]) == 0
  spec = yaml.safe_load(output.read_text())

  runs = kfp_launcher.run_pipeline(spec, str(root / "run"))
  for run in runs.values():
    print(f"{run.name:38} {run.seconds:5.0f} s wall {run.cpu_seconds:5.0f} s "
          f"CPU {run.max_rss_mb:5.0f} MB")

  assert set(runs) == set(spec["root"]["dag"]["tasks"])
  finished = list(runs)  # in the order the tasks finished
  for name in finished:
    for upstream in kfp_launcher.upstream_tasks(spec, name):
      assert finished.index(upstream) < finished.index(name), name
  assert {name.split(".")[0] for name in runs} == KINDS
  # The Trainer ran the module file from the wheel compiled under the root.
  module_path = runs["Trainer"].executor_input["inputs"]["parameterValues"][
      "module_path"]
  assert module_path.startswith(f"user_trainer@{root}/_wheels/")
  (quantized,) = runs["PostTrainingQuantizer.ptq_int8"].outputs[
      "quantized_model"]
  assert os.path.getsize(os.path.join(quantized["uri"], "Format-Serving",
                                      "tflite")) > 0
  # Each verdict travelled through executor_output.json to the
  # CandidateSelector, and its choice to the one Pusher.
  blessed = {}
  for variant in VARIANTS:
    (blessing,) = runs[f"CompressionEvaluator.{variant}"].outputs["blessing"]
    blessed[variant] = blessing["metadata"]["blessed"] == 1
    marker = "BLESSED" if blessed[variant] else "NOT_BLESSED"
    assert os.path.isfile(os.path.join(blessing["uri"], marker))
  # int8 keeps the Trainer's accuracy on digits.
  assert blessed["ptq_int8"]
  selector = runs["CandidateSelector"].outputs
  (choice,) = selector["blessing"]
  assert choice["metadata"]["blessed"] == 1
  assert blessed[choice["metadata"]["selected_variant"]]
  (comparison,) = selector["comparison"]
  assert os.path.isfile(os.path.join(comparison["uri"], "comparison.html"))
  (pushed,) = runs["Pusher.selected"].outputs["pushed_model"]
  assert pushed["metadata"]["pushed"] == 1
  (version,) = os.listdir(serving)
  assert os.listdir(serving / version) == ["tflite"]
