"""The TFMA EvalConfig an evaluation runs: the user's, or built from our config.

What is taken from a user's `tfma.EvalConfig`: its metrics (metrics_specs),
their value and change thresholds (per slice too), its slicing specs and
options, and the label and prediction keys of its first model spec when our
config does not set them. What is ours: the model specs (one per evaluated
model, reading its predictions), the size, latency and memory budgets, the
input, label and data checks, and the second baseline.
"""

import json
from typing import Optional, Tuple

from tfx_compression.compression_evaluator.config import CompressionEvaluatorConfig
from tfx_compression.compression_evaluator.config import Direction
from tfx_compression.errors import CompressionConfigError


def _ours(config: CompressionEvaluatorConfig):
  """Our MetricThresholds as an EvalConfig: change thresholds overall and per slice."""
  import tensorflow_model_analysis as tfma  # pylint: disable=g-import-not-at-top
  overall = tfma.SlicingSpec()
  sliced = [tfma.SlicingSpec(feature_keys=list(keys)) for keys in config.slices]

  def change(drop, higher):
    return tfma.MetricThreshold(change_threshold=tfma.GenericChangeThreshold(
        direction=(tfma.MetricDirection.HIGHER_IS_BETTER if higher else
                   tfma.MetricDirection.LOWER_IS_BETTER),
        absolute={"value": -drop if higher else drop}))

  metrics = [tfma.MetricConfig(class_name="ExampleCount")]
  for m in config.metrics:
    higher = m.direction is Direction.HIGHER_IS_BETTER
    per_slice = [tfma.PerSliceMetricThreshold(
        slicing_specs=[overall], threshold=change(m.max_drop, higher))]
    if sliced:
      per_slice.append(tfma.PerSliceMetricThreshold(
          slicing_specs=sliced, threshold=change(m.slice_drop, higher)))
    metrics.append(tfma.MetricConfig(
        class_name=m.class_name, config=json.dumps({"name": m.name}),
        per_slice_thresholds=per_slice))
  return tfma.EvalConfig(slicing_specs=[overall] + sliced,
                         metrics_specs=[tfma.MetricsSpec(metrics=metrics)])


def build(config: CompressionEvaluatorConfig):
  """The EvalConfig to run, and the thresholds as `tfma_eval.Rule`s.

  Raises:
    CompressionConfigError: the user's EvalConfig does not parse, gates no
      metric, or uses cross-slice thresholds.
  """
  # pylint: disable=g-import-not-at-top
  import tensorflow_model_analysis as tfma
  from google.protobuf import json_format
  from tfx_compression.lib import tfma_eval
  if config.eval_config is None:
    eval_config = _ours(config)
  else:
    try:
      eval_config = json_format.Parse(config.eval_config, tfma.EvalConfig())
    except json_format.ParseError as e:
      raise CompressionConfigError(
          f"eval_config is not a tfma.EvalConfig: {e}") from e
    if not any(m.class_name == "ExampleCount"
               for s in eval_config.metrics_specs for m in s.metrics):
      eval_config.metrics_specs.add().metrics.add(class_name="ExampleCount")
  try:
    stripped, rules = tfma_eval.split_thresholds(eval_config)
  except ValueError as e:
    raise CompressionConfigError(f"eval_config: {e}") from e
  if not rules:
    raise CompressionConfigError(
        "eval_config sets no value or change threshold: nothing would gate "
        "the candidate's quality. Add a threshold to a metric.")
  return stripped, rules


def keys(config: CompressionEvaluatorConfig, eval_config
         ) -> Tuple[Optional[str], Optional[str]]:
  """(label_key, prediction_key): ours, else the user's first model spec's."""
  spec = eval_config.model_specs[0] if eval_config.model_specs else None
  label = config.label_key or (spec.label_key if spec else None) or None
  prediction = (config.prediction_key or
                (spec.prediction_key if spec else None) or None)
  return label, prediction
