"""The evaluation itself, on model directories and example files (no artifacts).

The evaluator runs both models on the eval records as they will be
deployed (`models`), writes their predictions beside the features
(`predictions`), and TFMA computes the metrics from those (`tfma_eval`);
sizes, latency and memory are measured on each side's TFLite file.
"""

import dataclasses
import os
import tempfile
from typing import Any, Dict, List, Optional

import numpy as np

from tfx_compression.compression_evaluator import checks as checks_lib
from tfx_compression.compression_evaluator import models
from tfx_compression.compression_evaluator import predictions
from tfx_compression.compression_evaluator.config import CompressionEvaluatorConfig
from tfx_compression.compression_evaluator.config import Direction
from tfx_compression.compression_evaluator.models import ModelSource
from tfx_compression.lib import tfma_eval  # Imports TFMA lazily.

CANDIDATE = tfma_eval.CANDIDATE  # Roles, also the TFMA model names.
BASELINE = tfma_eval.BASELINE
TFLITE = "tflite"


def _measure(side: models.Side, config,
             runtime_bytes: Optional[int]) -> Dict[str, Any]:
  from tfx_compression.lib import benchmark_tflite as bench  # pylint: disable=g-import-not-at-top
  b = config.benchmark
  latency = {str(size): dataclasses.asdict(bench.measure_latency(
      side.tflite_bytes, b.num_threads, size, b.warmup_runs, b.runs))
             for size in sorted({1, b.batch_size})}
  memory = None
  if b.measure_memory:  # The child needs a local file (the uri may be remote).
    with tempfile.TemporaryDirectory() as tmp:
      path = os.path.join(tmp, TFLITE)
      with open(path, "wb") as f:
        f.write(side.tflite_bytes)
      memory = bench.measure_peak_memory(path, b.num_threads)
  sparsity = bench.weight_sparsity(side.tflite_bytes)
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
      "memory": dict(
          dataclasses.asdict(memory), runtime_only_increase_bytes=runtime_bytes,
          over_runtime_bytes=memory.increase_bytes - runtime_bytes,
      ) if memory else None,
      "peak_memory_bytes": memory.increase_bytes if memory else None,
      "weight_sparsity": sparsity,
      "overall_weight_sparsity": (float(np.mean(list(sparsity.values())))
                                  if sparsity else None),
  }


def _sides(candidate: ModelSource, baseline: ModelSource, files: List[str],
           keys, transform_dir: Optional[str], output_dir: str):
  """Both sides; a SavedModel side is measured in the candidate's input kind."""
  from tfx_compression.lib.conversion_options import TfliteInputs  # pylint: disable=g-import-not-at-top
  tflite_sides = {m.role: models.tflite_side(m, files, keys, transform_dir)
                  for m in (candidate, baseline) if m.is_tflite}
  kind = (tflite_sides[CANDIDATE].tflite_inputs if CANDIDATE in tflite_sides
          else TfliteInputs.SERVING)
  return [tflite_sides.get(m.role) or models.saved_model_side(
      m, kind, transform_dir, output_dir) for m in (candidate, baseline)]


def _label(config, sides, keys, transform_dir: Optional[str], source: str):
  """The label's name and, when only the Transform graph computes it, its space."""
  from tfx_compression.lib import feature_space  # pylint: disable=g-import-not-at-top
  baseline = sides[1]
  label = feature_space.derive_label(
      config.label_key, keys, baseline.serving_features,
      baseline.input_names, source, transform_dir)
  if label in keys:
    return label, None
  raw = feature_space.raw_features(transform_dir)
  space = feature_space.FeatureSpace(
      parse=raw, inputs={}, transform_dir=transform_dir, label=label,
      description=f"label {label!r} computed by the Transform graph")
  return label, space


def _check_eval_split(files, source: str, sides, label: Optional[str],
                      output_key: str) -> None:
  """Every record feeds each side and has a label the baseline can predict.

  Raises:
    InputMismatchError: a feature a side reads is missing (it would be
      default-filled) or misshaped in a record.
    DataError: a label outside the baseline's classes.
  """
  from tfx_compression.lib import example_stats  # pylint: disable=g-import-not-at-top
  stats = example_stats.scan(files, source, label)
  for side in reversed(sides):  # the baseline's serving defaults first
    example_stats.check_features(stats, side.reads,
                                 f"the {side.source.role} model")
  if label is not None:
    baseline = sides[1]
    example_stats.check_labels(stats, label,
                               baseline.output_widths.get(output_key),
                               f"the baseline model's {output_key!r}")


def evaluate(config: CompressionEvaluatorConfig, candidate: ModelSource,
             baseline: ModelSource, example_files: List[str],
             output_dir: str,
             beam_pipeline_args: Optional[List[str]] = None,
             transform_dir: Optional[str] = None) -> Dict[str, Any]:
  """Evaluates `candidate` against `baseline`; returns the report (no verdict).

  TFMA output goes to `output_dir`, with the records and both sides'
  predictions under `output_dir/predictions`.

  Raises:
    InputMismatchError, UnsupportedModelError: a model cannot be fed from
      the examples, or the label or prediction key cannot be found.
    Any error of TFMA, the converter or the interpreter.
  """
  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib import examples_io
  source = f"split {config.example_split!r} ({example_files[0]})"
  keys = examples_io.feature_keys(example_files)
  sides = _sides(candidate, baseline, example_files, keys, transform_dir,
                 output_dir)
  output_key = models.prediction_key(config.prediction_key, sides)
  label, label_space = _label(config, sides, keys, transform_dir, source)
  _check_eval_split(example_files, source, sides, label if label in keys
                    else None, output_key)
  written = predictions.write(
      example_files, sides, output_key,
      os.path.join(output_dir, predictions.PREDICTIONS_DIR), label_space)
  thresholds = [tfma_eval.Threshold(
      m.class_name, m.name, m.max_drop, m.slice_drop,
      m.direction == Direction.HIGHER_IS_BETTER) for m in config.metrics]
  eval_config = tfma_eval.build_eval_config(
      {s.source.role: predictions.feature_name(s.source.role) for s in sides},
      label, thresholds, config.slices)
  tfma_eval.run(eval_config,
                os.path.join(output_dir, predictions.PREDICTIONS_DIR, "*"),
                output_dir, beam_pipeline_args)
  complete, results, problems = tfma_eval.read_results(output_dir, thresholds,
                                                       config.slices)
  runtime = None
  if config.benchmark.measure_memory:  # The baseline child (runtime only).
    from tfx_compression.lib import benchmark_tflite  # pylint: disable=g-import-not-at-top
    runtime = benchmark_tflite.measure_runtime_memory(
        config.benchmark.num_threads).increase_bytes
  figures = {CANDIDATE: _measure(sides[0], config, runtime),
             BASELINE: _measure(sides[1], config, runtime)}
  c, b = figures[CANDIDATE], figures[BASELINE]
  checks = [checks_lib.metric_check(r) for r in results]
  if problems:
    checks.append(checks_lib.Check(checks_lib.EVALUATION, False, None, None,
                                   "; ".join(problems)))
  checks += checks_lib.budget_checks(config.budgets, c, b)
  return dict(
      figures,
      tfma={"compared_as": "predictions of each model as deployed",
            "complete": complete, "output_path": output_dir,
            "label_key": label, "prediction_key": output_key,
            "examples": written["examples"]},
      metrics=[dataclasses.asdict(r) for r in results],
      ratios={
          "size_ratio": b["size_bytes"] / c["size_bytes"],
          "gzip_size_ratio": b["gzip_size_bytes"] / c["gzip_size_bytes"],
          "latency_ratio": b["latency_median_us"] / c["latency_median_us"],
      },
      checks=[x.to_dict() for x in checks])
