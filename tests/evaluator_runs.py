"""CompressionEvaluator runs on the session's model, for its executor tests.

Shared by the test_compression_evaluator_{executor,budgets,thresholds,
quantized}.py files; the float TFLite candidate they share is the session
fixture `float_tflite` (conftest.py).
"""

from typing import Optional

import executor_harness
from model_factories import tflite_model_artifact
from tfx_compression.framework import spec_channels
from tfx_compression.framework import artifact_io
from tfx_compression.compression_evaluator import spec
from tfx_compression.compression_evaluator.config import Benchmark

ACCURACY = "sparse_categorical_accuracy"
FAST = Benchmark(warmup_runs=2, runs=20, batch_size=8, measure_memory=False)
CANDIDATE_ID = 7


class Run:
  """The outputs of one CompressionEvaluator execution."""

  def __init__(self, outputs):
    self.evaluation = outputs[spec.EVALUATION_KEY]
    self.blessing = outputs[spec.BLESSING_KEY]
    self.report = executor_harness.report(self.evaluation)
    self.checks = {c["name"]: c for c in self.report["checks"]}

  @property
  def failed(self):
    return self.report["failed_checks"]


def evaluate(trained_pipeline, candidate, out_dir, config, context=None,
             inputs: Optional[dict] = None) -> Run:
  """Evaluates `candidate` against the Trainer's model on its eval split.

  Args:
    context: The executor's context (None: none).
    inputs: More inputs by spec key (e.g. the blessed baseline).
  """
  candidate.id = CANDIDATE_ID
  return Run(executor_harness.run(
      "CompressionEvaluator",
      {spec_channels.EXAMPLES_KEY: trained_pipeline.examples,
       spec_channels.MODEL_KEY: candidate,
       spec.BASELINE_MODEL_KEY: trained_pipeline.model, **(inputs or {})},
      out_dir, config, context=context))


def tflite_artifact(keras_model, uri):
  """`keras_model` converted to float TFLite, as a Model artifact at `uri`."""
  from tfx_compression.lib.conversion import validated_conversion  # pylint: disable=g-import-not-at-top
  return tflite_model_artifact(
      uri, validated_conversion.convert_validated(keras_model, None).model_bytes)


def fresh_model(trained_pipeline):
  """The Trainer's Keras model, loaded anew (free to modify)."""
  from tfx_compression.lib.keras import saved_model_io  # pylint: disable=g-import-not-at-top
  return saved_model_io.load_keras_model(
      artifact_io.serving_dir(trained_pipeline.model.uri))


def overall(report, metric: Optional[str] = None) -> dict:
  """The report's one Overall-slice metric row (of `metric` if given)."""
  (row,) = [m for m in report["metrics"] if m["slice_name"] == "Overall"
            and (metric is None or m["metric"] == metric)]
  return row
