"""Candidate-versus-baselines evaluation with TFMA: config, run, gating rules.

Model-agnostic: each model's predictions are features of the evaluated
records (written by the evaluator, which runs the models itself), named in
each ModelSpec's `prediction_key`. TFMA computes the metrics per model and
slice; the thresholds, the user's or ours, become `Rule`s applied here to
those values: value thresholds to the candidate, change thresholds against
every baseline (TFMA validates change thresholds only for models it loads
itself, and only against one baseline). Knows nothing of TFX artifacts.
"""

import dataclasses
import json
from typing import Any, Dict, List, Optional, Sequence, Tuple

CANDIDATE = "candidate"
BASELINE = "baseline"
BLESSED_BASELINE = "blessed_baseline"
OVERALL = "Overall"
EXAMPLE_COUNT = "example_count"


@dataclasses.dataclass(frozen=True)
class Rule:
  """A threshold on one metric over some slices.

  Attributes:
    metric: The metric's name in TFMA results.
    slicing_specs: `tfma.SlicingSpec`s (as dicts) it applies to; None: every
      slice evaluated.
    kind: 'value' (bounds on the candidate) or 'change' (candidate minus a
      baseline).
    lower, upper: Value bounds (None: unbounded).
    higher_is_better, absolute, relative: A change threshold as TFMA's
      GenericChangeThreshold: the difference (and the difference relative
      to the baseline) must be >= `absolute` (`relative`) when higher is
      better, <= when lower is better; None: not checked.
  """

  metric: str
  slicing_specs: Optional[Tuple[str, ...]]  # JSON of each SlicingSpec
  kind: str
  lower: Optional[float] = None
  upper: Optional[float] = None
  higher_is_better: bool = True
  absolute: Optional[float] = None
  relative: Optional[float] = None


@dataclasses.dataclass(frozen=True)
class SliceResult:
  """One rule on one slice (against one baseline), and whether it held."""

  slice_name: str
  metric: str
  kind: str  # 'change' or 'value'
  against: Optional[str]  # the baseline role of a change rule
  candidate: Optional[float]
  baseline: Optional[float]  # the baseline's value (change rules)
  diff: Optional[float]
  threshold: Optional[float]  # the absolute limit, or the violated bound
  passed: bool
  num_examples: Optional[float]
  # TFMA's slice key: ((feature, value), ...); () for the whole split.
  slice_key: Tuple[Tuple[str, Any], ...] = ()


def metric_name(metric_config) -> str:
  """The name TFMA gives a MetricConfig's results."""
  config = json.loads(metric_config.config or "{}")
  if config.get("name"):
    return config["name"]
  import tensorflow_model_analysis as tfma  # pylint: disable=g-import-not-at-top
  import tf_keras  # pylint: disable=g-import-not-at-top
  for module in (tfma.metrics, tf_keras.metrics):
    cls = getattr(module, metric_config.class_name, None)
    if cls is not None:
      try:
        return cls().name
      except TypeError:  # needs constructor arguments
        break
  import re  # pylint: disable=g-import-not-at-top
  return re.sub(r"(?<!^)(?=[A-Z])", "_", metric_config.class_name).lower()


def _specs(slicing_specs) -> Tuple[str, ...]:
  from google.protobuf import json_format  # pylint: disable=g-import-not-at-top
  return tuple(json_format.MessageToJson(s, sort_keys=True)
               for s in slicing_specs)


def _rules_of(name: str, threshold, slicing) -> List[Rule]:
  import tensorflow_model_analysis as tfma  # pylint: disable=g-import-not-at-top
  rules = []
  if threshold.HasField("value_threshold"):
    v = threshold.value_threshold
    rules.append(Rule(
        name, slicing, "value",
        lower=v.lower_bound.value if v.HasField("lower_bound") else None,
        upper=v.upper_bound.value if v.HasField("upper_bound") else None))
  if threshold.HasField("change_threshold"):
    c = threshold.change_threshold
    rules.append(Rule(
        name, slicing, "change",
        higher_is_better=c.direction == tfma.MetricDirection.HIGHER_IS_BETTER,
        absolute=c.absolute.value if c.HasField("absolute") else None,
        relative=c.relative.value if c.HasField("relative") else None))
  return rules


def split_thresholds(eval_config) -> Tuple[Any, List[Rule]]:
  """The EvalConfig without thresholds (for TFMA) and its thresholds as Rules.

  Every slicing spec a per-slice threshold names is added to the config's
  slicing specs, so that TFMA computes it.

  Raises:
    ValueError: a cross-slice threshold (not supported).
  """
  import tensorflow_model_analysis as tfma  # pylint: disable=g-import-not-at-top
  config = tfma.EvalConfig()
  config.CopyFrom(eval_config)
  rules: List[Rule] = []
  slicing = list(config.slicing_specs)
  for spec in config.metrics_specs:
    for metric in spec.metrics:
      name = metric_name(metric)
      if metric.HasField("threshold"):
        rules += _rules_of(name, metric.threshold, None)
      for per_slice in metric.per_slice_thresholds:
        rules += _rules_of(name, per_slice.threshold,
                           _specs(per_slice.slicing_specs))
        slicing += list(per_slice.slicing_specs)
      if metric.cross_slice_thresholds:
        raise ValueError(
            f"cross_slice_thresholds of {metric.class_name} are not "
            "supported by the CompressionEvaluator")
      metric.ClearField("threshold")
      metric.ClearField("per_slice_thresholds")
    for name, threshold in spec.thresholds.items():
      rules += _rules_of(name, threshold, None)
    for name, per_slice in spec.per_slice_thresholds.items():
      for t in per_slice.thresholds:
        rules += _rules_of(name, t.threshold, _specs(t.slicing_specs))
        slicing += list(t.slicing_specs)
    if spec.cross_slice_thresholds:
      raise ValueError("cross_slice_thresholds are not supported by the "
                       "CompressionEvaluator")
    spec.ClearField("thresholds")
    spec.ClearField("per_slice_thresholds")
  unique = list(dict.fromkeys(_specs(slicing)))
  del config.slicing_specs[:]
  from google.protobuf import json_format  # pylint: disable=g-import-not-at-top
  config.slicing_specs.extend(
      json_format.Parse(s, tfma.SlicingSpec()) for s in unique)
  if not config.slicing_specs:
    config.slicing_specs.add()
  return config, rules


def with_models(eval_config, prediction_keys: Dict[str, str], label_key: str):
  """`eval_config` with one model-agnostic ModelSpec per role."""
  import tensorflow_model_analysis as tfma  # pylint: disable=g-import-not-at-top
  config = tfma.EvalConfig()
  config.CopyFrom(eval_config)
  del config.model_specs[:]
  config.model_specs.extend(
      tfma.ModelSpec(name=role, label_key=label_key, prediction_key=key,
                     is_baseline=role == BASELINE)
      for role, key in prediction_keys.items())
  return config


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


def _within(rule: Rule, diff: float, base: float) -> bool:
  checks = []
  relative = diff / abs(base) if base else (0.0 if diff == 0 else
                                            float("inf") * diff)
  for limit, value in ((rule.absolute, diff), (rule.relative, relative)):
    if limit is not None:
      checks.append(value >= limit if rule.higher_is_better else value <= limit)
  return all(checks)


def slice_applies(specs: Optional[Tuple[str, ...]], key) -> bool:
  if specs is None:
    return True
  # pylint: disable=g-import-not-at-top
  import tensorflow_model_analysis as tfma
  from google.protobuf import json_format
  from tensorflow_model_analysis.slicer import slicer_lib
  return any(slicer_lib.SingleSliceSpec(
      spec=json_format.Parse(s, tfma.SlicingSpec())).is_slice_applicable(key)
             for s in specs)


def read_results(output_path: str, rules: Sequence[Rule],
                 baselines: Sequence[str]
                 ) -> Tuple[List[SliceResult], List[str]]:
  """Applies `rules` to TFMA's metrics, against each of `baselines`.

  Returns:
    (one SliceResult per applicable rule, slice and baseline; problems),
    where problems lists what made the evaluation incomplete: a slicing
    spec no example matched, a metric missing on a slice, no metrics for
    the whole split. A rule whose metric is missing fails.
  """
  # pylint: disable=g-import-not-at-top
  import tensorflow_model_analysis as tfma
  from tensorflow_model_analysis.slicer import slicer_lib
  values: Dict[str, Dict[Tuple[str, str], float]] = {}
  keys = {}
  for metrics in tfma.load_metrics(output_path):
    key = slicer_lib.deserialize_slice_key(metrics.slice_key)
    name = slicer_lib.stringify_slice_key(key)
    keys[name] = key
    table = values.setdefault(name, {})
    for kv in metrics.metric_keys_and_values:
      if not kv.key.is_diff and kv.value.HasField("double_value"):
        table[(kv.key.name, kv.key.model_name)] = kv.value.double_value.value
  problems = []
  if OVERALL not in values:
    problems.append("TFMA wrote no metrics for the whole split")
  specs = {s for r in rules if r.slicing_specs for s in r.slicing_specs}
  for spec in sorted(specs):
    if not any(slice_applies((spec,), k) for k in keys.values()):
      fields = json.loads(spec)
      problems.append(
          f"no example has feature(s) {fields['featureKeys']} to slice by"
          if list(fields) == ["featureKeys"] else
          f"no example matches the slicing spec {fields}")
  results = []
  for slice_name in sorted(values, key=lambda s: (s != OVERALL, _sort_key(s))):
    table, key = values[slice_name], keys[slice_name]
    count = table.get((EXAMPLE_COUNT, CANDIDATE))
    for rule in rules:
      if not slice_applies(rule.slicing_specs, key):
        continue
      cand = table.get((rule.metric, CANDIDATE))
      if rule.kind == "value":
        complete = cand is not None
        passed = complete and (rule.lower is None or cand >= rule.lower) and (
            rule.upper is None or cand <= rule.upper)
        bound = rule.lower if rule.lower is not None else rule.upper
        if not complete:
          problems.append(f"{rule.metric} missing on slice {slice_name}")
        results.append(SliceResult(slice_name, rule.metric, "value", None,
                                   cand, None, None, bound, passed, count,
                                   tuple(key)))
        continue
      for against in baselines:
        base = table.get((rule.metric, against))
        complete = cand is not None and base is not None
        if not complete:
          problems.append(f"{rule.metric} missing on slice {slice_name} "
                          f"for the {against}")
        diff = cand - base if complete else None
        results.append(SliceResult(
            slice_name, rule.metric, "change", against, cand, base, diff,
            rule.absolute, complete and _within(rule, diff, base), count,
            tuple(key)))
  return results, problems


def _sort_key(slice_name: str) -> Any:
  head, _, value = slice_name.rpartition(":")
  try:
    return (head, float(value))
  except ValueError:
    return (slice_name, 0.0)
