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


def _ours(config: CompressionEvaluatorConfig, task):
  """Our MetricThresholds (or `task`'s defaults) as an EvalConfig: change
  thresholds overall and per slice."""
  import tensorflow_model_analysis as tfma  # pylint: disable=g-import-not-at-top
  overall = tfma.SlicingSpec()
  sliced = [tfma.SlicingSpec(feature_keys=list(keys)) for keys in config.slices]

  def change(drop, higher, relative):
    bound = {"value": -drop if higher else drop}
    return tfma.MetricThreshold(change_threshold=tfma.GenericChangeThreshold(
        direction=(tfma.MetricDirection.HIGHER_IS_BETTER if higher else
                   tfma.MetricDirection.LOWER_IS_BETTER),
        **({"relative": bound} if relative else {"absolute": bound})))

  metrics = [tfma.MetricConfig(class_name="ExampleCount")]
  for m in config.metrics_for(task):
    higher = m.direction is Direction.HIGHER_IS_BETTER
    per_slice = [tfma.PerSliceMetricThreshold(
        slicing_specs=[overall],
        threshold=change(m.max_drop, higher, m.relative))]
    if sliced:
      per_slice.append(tfma.PerSliceMetricThreshold(
          slicing_specs=sliced,
          threshold=change(m.slice_drop, higher, m.relative)))
    metrics.append(tfma.MetricConfig(
        class_name=m.class_name, config=json.dumps({"name": m.name}),
        per_slice_thresholds=per_slice))
  return tfma.EvalConfig(slicing_specs=[overall] + sliced,
                         metrics_specs=[tfma.MetricsSpec(metrics=metrics)])


def user_eval_config(config: CompressionEvaluatorConfig):
  """The user's `tfma.EvalConfig`, parsed; None when `eval_config` is unset.

  Raises:
    CompressionConfigError: it does not parse.
  """
  # pylint: disable=g-import-not-at-top
  import tensorflow_model_analysis as tfma
  from google.protobuf import json_format
  if config.eval_config is None:
    return None
  try:
    return json_format.Parse(config.eval_config, tfma.EvalConfig())
  except json_format.ParseError as e:
    raise CompressionConfigError(
        f"eval_config is not a tfma.EvalConfig: {e}") from e


def build(config: CompressionEvaluatorConfig, task):
  """The EvalConfig to run for a model of `task`, and its thresholds as
  `tfma_eval.Rule`s.

  Raises:
    CompressionConfigError: the user's EvalConfig does not parse, gates no
      metric, or uses cross-slice thresholds.
  """
  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.evaluation import tfma_eval
  eval_config = user_eval_config(config)
  if eval_config is None:
    eval_config = _ours(config, task)
  else:
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


# Metrics that read the predictions as class scores, and those that read
# them as numbers (regression).
_CLASS_WORDS = ("accuracy", "auc", "precision", "recall", "crossentropy",
                "hinge", "top_k", "confusion", "f1", "fall_out", "miss_rate",
                "specificity", "sensitivity")
_ARGMAX_METRICS = ("sparse_categorical_accuracy", "categorical_accuracy",
                   "sparse_top_k_categorical_accuracy",
                   "top_k_categorical_accuracy", "sparse_categorical_crossentropy",
                   "categorical_crossentropy")


def check_fits_task(rules, model_task) -> None:
  """Refuses gated metrics that cannot see a model of `model_task`.

  A multi-class metric over one score column is constant (its argmax is
  always 0), and class metrics over regression outputs measure nothing the
  model was trained for: either gate would bless anything.

  Raises:
    CompressionConfigError: naming the metric, the task and what to use.
  """
  from tfx_compression.lib.evaluation import task as task_lib  # pylint: disable=g-import-not-at-top
  for rule in rules:
    name = rule.metric.lower()
    if model_task.task is task_lib.Task.REGRESSION and any(
        w in name for w in _CLASS_WORDS):
      raise CompressionConfigError(
          f"metric {rule.metric!r} judges classes, but the model is a "
          f"regression model ({model_task.reason}); gate it on "
          "MeanSquaredError or MeanAbsoluteError (metrics), or set task if "
          "the model is a classifier.")
    if model_task.task is task_lib.Task.BINARY and name in _ARGMAX_METRICS:
      raise CompressionConfigError(
          f"metric {rule.metric!r} reads the argmax of class columns, but "
          f"the model is binary ({model_task.reason}) and is evaluated on "
          "one probability column, whose argmax is always 0: the metric "
          "could never change. Gate it on AUC or BinaryAccuracy (the "
          "default when metrics is empty).")


def keys(config: CompressionEvaluatorConfig, eval_config
         ) -> Tuple[Optional[str], Optional[str]]:
  """(label_key, prediction_key): ours, else the user's first model spec's."""
  spec = (eval_config.model_specs[0] if eval_config is not None and
          eval_config.model_specs else None)
  label = config.label_key or (spec.label_key if spec else None) or None
  prediction = (config.prediction_key or
                (spec.prediction_key if spec else None) or None)
  return label, prediction
