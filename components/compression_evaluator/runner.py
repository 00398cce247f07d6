"""The evaluation itself, on model directories and example files (no artifacts).

The evaluator runs both models on the eval records as they will be
deployed (`models`), writes their predictions beside the features
(`predictions`), and TFMA computes the metrics from those (`tfma_eval`);
sizes, latency and memory are measured on each side's TFLite file.
"""

import dataclasses
import os
import tempfile
from typing import Any, Dict, List, Optional, Tuple

from absl import logging
import numpy as np

from tfx_compression.compression_evaluator import checks as checks_lib
from tfx_compression.compression_evaluator import models
from tfx_compression.compression_evaluator import per_class
from tfx_compression.compression_evaluator import predictions
from tfx_compression.compression_evaluator import predictors
from tfx_compression.compression_evaluator import task_view
from tfx_compression.compression_evaluator import uncertainty
from tfx_compression.compression_evaluator.config import CompressionEvaluatorConfig
from tfx_compression.compression_evaluator.models import ModelSource
from tfx_compression.lib.evaluation import tfma_eval  # Imports TFMA lazily.

GATE_ON_INTERVAL = "interval"
CANDIDATE = tfma_eval.CANDIDATE  # Roles, also the TFMA model names.
BASELINE = tfma_eval.BASELINE
BLESSED_BASELINE = tfma_eval.BLESSED_BASELINE
TFLITE = "tflite"


def _memory(side, config, runtime_bytes):
  from tfx_compression.lib.tflite import benchmark as bench  # pylint: disable=g-import-not-at-top
  if not config.benchmark.measure_memory:
    return None
  with tempfile.TemporaryDirectory() as tmp:  # The child needs a local file.
    path = os.path.join(tmp, TFLITE)
    with open(path, "wb") as f:
      f.write(side.tflite_bytes)
    memory = bench.measure_peak_memory(path, config.benchmark.num_threads)
  return dict(dataclasses.asdict(memory),
              runtime_only_increase_bytes=runtime_bytes,
              over_runtime_bytes=memory.increase_bytes - runtime_bytes)


def _figures(side, latency, memory) -> Dict[str, Any]:
  from tfx_compression.lib.tflite import benchmark as bench  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.tflite import sparse_inference  # pylint: disable=g-import-not-at-top
  sparsity = bench.weight_sparsity(side.tflite_bytes)
  sparse = sparse_inference.describe(side.tflite_bytes)
  return {
      "uri": side.source.uri,
      "format": TFLITE if side.source.is_tflite else "saved_model",
      "measured_as": side.measured_as,
      "runs_as": side.runs_as,
      "tflite_inputs": side.tflite_inputs.value,
      "size_bytes": side.summary.size_bytes,
      "gzip_size_bytes": side.summary.gzip_size_bytes,
      "input_dtypes": side.summary.input_dtypes,
      "latency": latency,
      "latency_median_us": latency["1"]["median_us"],
      "memory": memory,
      "peak_memory_bytes": memory["increase_bytes"] if memory else None,
      "weight_sparsity": sparsity,
      "overall_weight_sparsity": (float(np.mean(list(sparsity.values())))
                                  if sparsity else None),
      # Sparse-encoded weights, and whether XNNPACK runs them sparse here.
      "sparse_inference": sparse if sparse["sparse_tensors"] else None,
  }


def _measure(sides, config) -> Tuple[Dict[str, Any], Dict[str, Any]]:
  """Every side's figures, and the candidate's latency against each baseline.

  Latency is timed in alternating rounds, candidate and one baseline at a
  time, at batch 1 (gated) and at `benchmark.batch_size` (not gated).
  """
  from tfx_compression.lib.tflite import benchmark as bench  # pylint: disable=g-import-not-at-top
  b = config.benchmark
  runtime = (bench.measure_runtime_memory(b.num_threads).increase_bytes
             if b.measure_memory else None)
  candidate, baselines = sides[0], sides[1:]
  latency = {s.source.role: {} for s in sides}
  comparisons = {}
  # A model converted at a fixed batch (recurrent layers) runs batch 1 only.
  sizes = ({1} if any(s.summary.fixed_batch for s in sides)
           else {1, b.batch_size})
  for base in baselines:
    for size in sorted(sizes):
      comp = bench.compare_latency(candidate.tflite_bytes, base.tflite_bytes,
                                   b.num_threads, size, b.warmup_runs, b.runs,
                                   b.rounds)
      gated = size == 1
      latency[base.source.role][str(size)] = dict(
          dataclasses.asdict(comp.baseline), gated=gated)
      latency[CANDIDATE].setdefault(str(size), dict(
          dataclasses.asdict(comp.candidate), gated=gated))
      comparisons.setdefault(base.source.role, {})[str(size)] = {
          "ratio": comp.ratio, "ratio_ci_low": comp.ratio_ci_low,
          "ratio_ci_high": comp.ratio_ci_high, "rounds": comp.rounds,
          "round_ratios": comp.round_ratios, "gated": gated}
  figures = {s.source.role: _figures(s, latency[s.source.role],
                                     _memory(s, config, runtime))
             for s in sides}
  return figures, comparisons


def _sides(sources: List[ModelSource], files: List[str], keys,
           transform_dir: Optional[str], output_dir: str):
  """Every side; a SavedModel side is measured in the candidate's input kind."""
  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.keras import saved_model_info
  from tfx_compression.lib.options.conversion import TfliteInputs
  # pylint: enable=g-import-not-at-top
  # An evaluation before this one (same process) left nothing needed.
  predictors.release()
  optional = {n for m in sources if not m.is_tflite for n, f in (
      saved_model_info.read(m.serving_dir).serving_features or {}).items()
              if f.optional}
  tflite_sides = {m.role: models.tflite_side(m, files, keys, transform_dir,
                                             optional)
                  for m in sources if m.is_tflite}
  kind = (tflite_sides[CANDIDATE].tflite_inputs if CANDIDATE in tflite_sides
          else TfliteInputs.SERVING)
  return [tflite_sides.get(m.role) or models.saved_model_side(
      m, kind, transform_dir, output_dir, keys) for m in sources]


def _label(label_key, sides, keys, transform_dir: Optional[str], source: str):
  """The label's name and, when only the Transform graph computes it, its space."""
  from tfx_compression.lib.data import feature_space  # pylint: disable=g-import-not-at-top
  baseline = sides[1]
  label = feature_space.derive_label(
      label_key, keys, baseline.serving_features,
      baseline.input_names, source, transform_dir)
  if label in keys:
    return label, None
  raw = feature_space.raw_features(transform_dir)
  space = feature_space.FeatureSpace(
      parse=raw, inputs={}, transform_dir=transform_dir, label=label,
      description=f"label {label!r} computed by the Transform graph")
  return label, space


def _check_features(files, source: str, sides, label: Optional[str],
                    beam_pipeline_args=None, work_dir: Optional[str] = None):
  """Every record feeds each side; returns the split's `example_stats.scan`
  (a Beam job on `beam_pipeline_args`' runner for a large split).

  Raises:
    InputMismatchError: a feature a side reads is missing (it would be
      default-filled) or misshaped in a record.
  """
  from tfx_compression.lib.data import example_stats  # pylint: disable=g-import-not-at-top
  stats = example_stats.scan(files, source, label,
                             beam_pipeline_args=beam_pipeline_args,
                             work_dir=work_dir)
  for side in reversed(sides):  # the baseline's serving defaults first
    example_stats.check_features(stats, side.reads,
                                 f"the {side.source.role} model")
  return stats


def _task(config, files, sides, output_key: str, stats, label,
          label_space=None):
  """The baseline's `task.ModelTask`: `config.task`, its Keras loss and
  activation, its output width and values on the first records, the labels
  (computed by the Transform graph on those records with `label_space`).

  Raises:
    CompressionConfigError: the task cannot be told (set `task`) or does not
      fit the output.
  """
  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.data import examples_io
  from tfx_compression.lib.evaluation import task as task_lib
  baseline = sides[1]
  loss, activation = ((None, None) if baseline.source.is_tflite else
                      task_lib.saved_model_hints(baseline.source.serving_dir,
                                                 output_key))
  sample = examples_io.read_serialized(files, predictions.BATCH_SIZE)
  outputs = models.as_matrix(baseline.predict(sample)[output_key])
  labels = stats.labels if label is not None else None
  if labels is None and label_space is not None:
    import collections  # pylint: disable=g-import-not-at-top
    labels = collections.Counter(
        v.item() for v in np.ravel(predictions.labels_of(label_space, sample)))
  return task_lib.infer(
      baseline.output_widths.get(output_key, outputs.shape[1]),
      explicit=config.task, loss=loss, activation=activation,
      labels=labels, outputs=outputs)


def evaluate(config: CompressionEvaluatorConfig, candidate: ModelSource,
             baseline: ModelSource, example_files: List[str],
             output_dir: str,
             beam_pipeline_args: Optional[List[str]] = None,
             transform_dir: Optional[str] = None,
             blessed_baseline: Optional[ModelSource] = None) -> Dict[str, Any]:
  """Evaluates `candidate` against `baseline` (and `blessed_baseline`).

  Returns the report (no verdict). TFMA output goes to `output_dir`, with
  the records and every side's predictions under `output_dir/predictions`.

  Raises:
    InputMismatchError, UnsupportedModelError, DataError: a model cannot be
      fed from the examples, the label or prediction key cannot be found, or
      the records are invalid.
    CompressionConfigError: the EvalConfig cannot be used.
    Any error of TFMA, the converter or the interpreter.
  """
  # pylint: disable=g-import-not-at-top
  from tfx_compression.compression_evaluator import eval_config as eval_config_lib
  from tfx_compression.lib.data import example_stats
  from tfx_compression.lib.data import examples_io
  from tfx_compression.lib.evaluation import task as task_lib
  label_key, prediction_key = eval_config_lib.keys(
      config, eval_config_lib.user_eval_config(config))
  source = f"split {config.example_split!r} ({example_files[0]})"
  keys = examples_io.feature_keys(example_files)
  sources = [candidate, baseline] + ([blessed_baseline] if blessed_baseline
                                     else [])
  sides = _sides(sources, example_files, keys, transform_dir, output_dir)
  output_key = models.prediction_key(prediction_key, sides)
  label, label_space = _label(label_key, sides, keys, transform_dir, source)
  raw_label = label if label in keys else None
  stats = _check_features(example_files, source, sides, raw_label,
                          beam_pipeline_args, output_dir)
  model_task = _task(config, example_files, sides, output_key, stats,
                     raw_label, label_space)
  if raw_label is not None:
    example_stats.check_labels(stats, raw_label, model_task,
                               f"the baseline model's {output_key!r}")
  eval_config, rules = eval_config_lib.build(config, model_task.task)
  eval_config_lib.check_fits_task(rules, model_task)
  from tfx_compression.compression_evaluator import prediction_job  # pylint: disable=g-import-not-at-top
  written = prediction_job.write(
      example_files, sides, output_key,
      os.path.join(output_dir, predictions.PREDICTIONS_DIR), model_task,
      label_space, beam_pipeline_args)
  predictors.release([s.predictor for s in sides])
  tfma_eval.run(
      tfma_eval.with_models(eval_config, {
          s.source.role: predictions.feature_name(s.source.role)
          for s in sides}, label),
      os.path.join(output_dir, predictions.PREDICTIONS_DIR, "*"),
      output_dir, beam_pipeline_args)
  baseline_roles = [s.source.role for s in sides[1:]]
  per_class_view = (per_class.compute(
      written["files"], label, [s.source.role for s in sides])
                    if model_task.task is task_lib.Task.MULTICLASS else None)
  task_view_ = task_view.compute(written["files"], label,
                                  [s.source.role for s in sides], model_task)
  results, problems = tfma_eval.read_results(output_dir, rules, baseline_roles)
  figures, comparisons = _measure(sides, config)
  checks = [checks_lib.metric_check(r) for r in results]
  intervals = uncertainty.assess(written["files"], label,
                                 model_task.task.value, results, rules)
  if config.gate_on == GATE_ON_INTERVAL:
    checks = uncertainty.gate(checks, intervals, lambda i: (
        f"{i.metric}[{i.slice_name}]{checks_lib.suffix(i.against)}"))
  warnings = uncertainty.warnings_of(intervals, tfma_eval.OVERALL)
  for warning in warnings:
    logging.warning("CompressionEvaluator: %s", warning)
  if problems:
    checks.append(checks_lib.Check(checks_lib.EVALUATION, False, None, None,
                                   "; ".join(problems)))
  checks += checks_lib.budget_checks(
      config.budgets, config.benchmark.latency_tolerance, figures[CANDIDATE],
      {r: figures[r] for r in baseline_roles},
      {r: comparisons[r]["1"] for r in baseline_roles})
  c = figures[CANDIDATE]
  return dict(
      figures,
      baselines=baseline_roles,
      task=model_task.to_dict(),
      tfma={"compared_as": "predictions of each model as deployed",
            "complete": not problems, "output_path": output_dir,
            "label_key": label, "prediction_key": output_key,
            "examples": written["examples"]},
      metrics=[dataclasses.asdict(r) for r in results],
      uncertainty=[i.to_dict() for i in intervals],
      warnings=warnings,
      per_class=per_class_view,
      task_view=task_view_,
      ratios={role: {
          "size_ratio": figures[role]["size_bytes"] / c["size_bytes"],
          "gzip_size_ratio": (figures[role]["gzip_size_bytes"] /
                              c["gzip_size_bytes"]),
          "latency_ratio": comparisons[role]["1"]["ratio"],
          "latency": comparisons[role]} for role in baseline_roles},
      not_gated=checks_lib.not_gated(config.budgets),
      checks=[x.to_dict() for x in checks])
