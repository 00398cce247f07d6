"""Candidate-versus-baseline evaluation with TFMA: config, run, results.

Model-agnostic: each model's predictions are features of the evaluated
records (written by the evaluator, which runs the models itself), named in
each ModelSpec's `prediction_key`. TFMA computes the metrics per model and
slice and their differences; the change thresholds are applied here
(`read_results`), as TFMA only validates them with models it loads itself.
Knows nothing of TFX artifacts.
"""

import dataclasses
import json
from typing import Any, Dict, List, Optional, Sequence, Tuple

CANDIDATE = "candidate"
BASELINE = "baseline"
OVERALL = "Overall"


@dataclasses.dataclass(frozen=True)
class Threshold:
  """A change threshold: `name` may worsen by at most `max_drop` (`slice_drop` per slice)."""

  class_name: str
  name: str
  max_drop: float
  slice_drop: float
  higher_is_better: bool


@dataclasses.dataclass(frozen=True)
class SliceResult:
  """One metric on one slice for both models, and TFMA's verdict on it."""

  slice_name: str
  metric: str
  candidate: Optional[float]
  baseline: Optional[float]
  diff: Optional[float]
  threshold: float  # Smallest accepted diff (HIGHER_IS_BETTER) or largest.
  passed: bool
  num_examples: Optional[float]


def build_eval_config(prediction_keys: Dict[str, str], label_key: str,
                      thresholds: Sequence[Threshold],
                      slices: Sequence[Sequence[str]]):
  """Returns a model-agnostic `tfma.EvalConfig` comparing CANDIDATE with BASELINE.

  Args:
    prediction_keys: Role (CANDIDATE, BASELINE) -> feature holding its
      predictions.
    label_key: The label feature.
    thresholds: The metrics to compute (their limits are applied by
      `read_results`).
    slices: Feature-key tuples to slice by (the whole split always).
  """
  import tensorflow_model_analysis as tfma  # pylint: disable=g-import-not-at-top
  specs = [tfma.ModelSpec(name=role, label_key=label_key, prediction_key=key,
                          is_baseline=role == BASELINE)
           for role, key in prediction_keys.items()]
  metrics = [tfma.MetricConfig(class_name="ExampleCount")] + [
      tfma.MetricConfig(class_name=t.class_name,
                        config=json.dumps({"name": t.name}))
      for t in thresholds]
  return tfma.EvalConfig(
      model_specs=specs,
      slicing_specs=[tfma.SlicingSpec()] + [
          tfma.SlicingSpec(feature_keys=list(keys)) for keys in slices],
      metrics_specs=[tfma.MetricsSpec(metrics=metrics)])


def run(eval_config, data_pattern: str, output_path: str,
        beam_pipeline_args: Optional[List[str]] = None) -> None:
  """Runs TFMA on the tf.Example TFRecords matching `data_pattern`."""
  # pylint: disable=g-import-not-at-top
  import tensorflow_model_analysis as tfma
  from apache_beam.options.pipeline_options import PipelineOptions
  tfma.run_model_analysis(
      eval_config=eval_config, data_location=data_pattern,
      file_format="tfrecords", output_path=output_path,
      pipeline_options=PipelineOptions(beam_pipeline_args or []))


def within(diff: float, limit: float, higher_is_better: bool) -> bool:
  """Whether a change `diff` (candidate - baseline) is within its limit."""
  return diff >= limit if higher_is_better else diff <= limit


def read_results(output_path: str, thresholds: Sequence[Threshold],
                 slices: Sequence[Sequence[str]]
                 ) -> Tuple[bool, List[SliceResult], List[str]]:
  """Reads TFMA's metrics and validation result.

  Returns:
    (complete, one SliceResult per (slice, threshold), problems), where
    problems lists what made the evaluation incomplete (missing slices or
    metrics); `complete` is False whenever problems is not empty.
  """
  # pylint: disable=g-import-not-at-top
  import tensorflow_model_analysis as tfma
  from tensorflow_model_analysis.slicer import slicer_lib
  values: Dict[str, Dict[Tuple[str, str, bool], float]] = {}
  columns = set()
  for metrics in tfma.load_metrics(output_path):
    key = slicer_lib.deserialize_slice_key(metrics.slice_key)
    name = slicer_lib.stringify_slice_key(key)
    columns.add(tuple(sorted(column for column, _ in key)))
    table = values.setdefault(name, {})
    for kv in metrics.metric_keys_and_values:
      key = (kv.key.name, kv.key.model_name, kv.key.is_diff)
      if kv.value.HasField("double_value"):
        table[key] = kv.value.double_value.value
  problems = [f"no example has feature(s) {list(keys)} to slice by"
               for keys in slices if tuple(sorted(keys)) not in columns]
  results = []
  for slice_name in sorted(values, key=lambda s: (s != OVERALL, _sort_key(s))):
    table = values[slice_name]
    count = table.get(("example_count", CANDIDATE, False))
    for t in thresholds:
      cand = table.get((t.name, CANDIDATE, False))
      base = table.get((t.name, BASELINE, False))
      diff = table.get((t.name, CANDIDATE, True))
      drop = t.max_drop if slice_name == OVERALL else t.slice_drop
      limit = -drop if t.higher_is_better else drop
      complete = cand is not None and base is not None and diff is not None
      if not complete:
        problems.append(f"{t.name} missing on slice {slice_name}")
      results.append(SliceResult(
          slice_name=slice_name, metric=t.name, candidate=cand, baseline=base,
          diff=diff, threshold=limit, num_examples=count,
          passed=complete and within(diff, limit, t.higher_is_better)))
  if OVERALL not in values:
    problems.append("TFMA wrote no metrics for the whole split")
  return not problems, results, problems


def _sort_key(slice_name: str) -> Any:
  head, _, value = slice_name.rpartition(":")
  try:
    return (head, float(value))
  except ValueError:
    return (slice_name, 0.0)
