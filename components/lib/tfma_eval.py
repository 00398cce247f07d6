"""Candidate-versus-baseline evaluation with TFMA: config, run, results.

Knows nothing of TFX artifacts: models are directories (a SavedModel, or a
directory holding a `tflite` file, as TFMA expects for model_type tf_lite).
"""

import dataclasses
import json
from typing import Any, Dict, List, Optional, Sequence, Tuple

CANDIDATE = "candidate"
BASELINE = "baseline"
OVERALL = "Overall"
TF_LITE = "tf_lite"


@dataclasses.dataclass(frozen=True)
class EvalModel:
  """A model TFMA evaluates.

  Attributes:
    path: SavedModel directory, or directory holding a file named `tflite`.
    is_tflite: Whether `path` holds a TFLite model.
    prediction_key: Output compared with the label; '' for a single-output
      TFLite model (TFMA then uses its only output).
  """

  path: str
  is_tflite: bool
  prediction_key: str


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


def build_eval_config(candidate: EvalModel, baseline: EvalModel, label_key: str,
                      thresholds: Sequence[Threshold],
                      slices: Sequence[Sequence[str]]):
  """Returns a `tfma.EvalConfig` comparing `candidate` with `baseline`."""
  import tensorflow_model_analysis as tfma  # pylint: disable=g-import-not-at-top

  def spec(name, model, is_baseline):
    return tfma.ModelSpec(
        name=name, label_key=label_key, prediction_key=model.prediction_key,
        signature_name="" if model.is_tflite else "serving_default",
        model_type=TF_LITE if model.is_tflite else "",
        is_baseline=is_baseline)

  overall = tfma.SlicingSpec()
  sliced = [tfma.SlicingSpec(feature_keys=list(keys)) for keys in slices]

  def change(drop, higher):
    direction = (tfma.MetricDirection.HIGHER_IS_BETTER if higher else
                 tfma.MetricDirection.LOWER_IS_BETTER)
    return tfma.MetricThreshold(change_threshold=tfma.GenericChangeThreshold(
        direction=direction, absolute={"value": -drop if higher else drop}))

  metrics = [tfma.MetricConfig(class_name="ExampleCount")]
  for t in thresholds:
    per_slice = [tfma.PerSliceMetricThreshold(
        slicing_specs=[overall],
        threshold=change(t.max_drop, t.higher_is_better))]
    if sliced:
      per_slice.append(tfma.PerSliceMetricThreshold(
          slicing_specs=sliced,
          threshold=change(t.slice_drop, t.higher_is_better)))
    metrics.append(tfma.MetricConfig(
        class_name=t.class_name, config=json.dumps({"name": t.name}),
        per_slice_thresholds=per_slice))
  return tfma.EvalConfig(
      model_specs=[spec(CANDIDATE, candidate, False),
                   spec(BASELINE, baseline, True)],
      slicing_specs=[overall] + sliced,
      metrics_specs=[tfma.MetricsSpec(metrics=metrics)])


def run(eval_config, candidate: EvalModel, baseline: EvalModel,
        data_pattern: str, output_path: str,
        beam_pipeline_args: Optional[List[str]] = None) -> None:
  """Runs TFMA on the tf.Example TFRecords matching `data_pattern`."""
  # pylint: disable=g-import-not-at-top
  import tensorflow_model_analysis as tfma
  from apache_beam.options.pipeline_options import PipelineOptions
  models = [
      tfma.default_eval_shared_model(
          eval_saved_model_path=model.path, model_name=name,
          eval_config=eval_config)
      for name, model in ((CANDIDATE, candidate), (BASELINE, baseline))]
  tfma.run_model_analysis(
      eval_shared_model=models, eval_config=eval_config,
      data_location=data_pattern, file_format="tfrecords",
      output_path=output_path,
      pipeline_options=PipelineOptions(beam_pipeline_args or []))


def read_results(output_path: str, thresholds: Sequence[Threshold],
                 slices: Sequence[Sequence[str]]
                 ) -> Tuple[bool, List[SliceResult], List[str]]:
  """Reads TFMA's metrics and validation result.

  Returns:
    (validation_ok, one SliceResult per (slice, threshold), problems), where
    problems lists what made the evaluation incomplete (missing slices or
    metrics); TFMA's validation_ok is False whenever problems is not empty.
  """
  # pylint: disable=g-import-not-at-top
  import tensorflow_model_analysis as tfma
  from tensorflow_model_analysis.slicer import slicer_lib
  validation = tfma.load_validation_result(output_path)
  failed = set()
  for per_slice in validation.metric_validations_per_slice:
    name = slicer_lib.stringify_slice_key(
        slicer_lib.deserialize_slice_key(per_slice.slice_key))
    for failure in per_slice.failures:
      failed.add((name, failure.metric_key.name))
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
  problems = [f"TFMA reports missing slice {s}"
              for s in validation.missing_slices]
  problems += [f"no example has feature(s) {list(keys)} to slice by"
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
          passed=complete and (slice_name, t.name) not in failed))
  if OVERALL not in values:
    problems.append("TFMA wrote no metrics for the whole split")
  return bool(validation.validation_ok) and not problems, results, problems


def _sort_key(slice_name: str) -> Any:
  head, _, value = slice_name.rpartition(":")
  try:
    return (head, float(value))
  except ValueError:
    return (slice_name, 0.0)
