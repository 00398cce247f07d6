"""The evaluation itself, on model directories and example files (no artifacts)."""

import dataclasses
import os
import tempfile
from typing import Any, Dict, List, Optional

import numpy as np

from tfx_compression import artifact_io
from tfx_compression.compression_evaluator import checks as checks_lib
from tfx_compression.compression_evaluator.config import CompressionEvaluatorConfig
from tfx_compression.compression_evaluator.config import Direction
from tfx_compression.errors import InputMismatchError
from tfx_compression.errors import UnsupportedModelError
from tfx_compression.lib import tfma_eval  # Imports TFMA lazily.

CANDIDATE = tfma_eval.CANDIDATE  # Roles, also the TFMA model names.
BASELINE = tfma_eval.BASELINE
CONVERTED_DIR = "converted"  # <evaluation uri>/converted/<role>/Format-Serving/tflite
TFLITE = "tflite"
MEASURED_AS_TFLITE = "tflite"
MEASURED_AS_CONVERSION = "float32 TFLite conversion of the Keras SavedModel"


@dataclasses.dataclass(frozen=True)
class ModelSource:
  """A model to evaluate: its `Format-Serving` directory and format."""

  role: str  # CANDIDATE or BASELINE.
  uri: str
  serving_dir: str
  is_tflite: bool


@dataclasses.dataclass
class _Prepared:
  source: ModelSource
  tflite_bytes: bytes
  tflite_dir: str  # Directory holding a `tflite` file.
  summary: Any


def _prepare(source: ModelSource, output_dir: str) -> _Prepared:
  """Reads the TFLite model, or converts a Keras SavedModel to float TFLite."""
  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib import keras_io
  from tfx_compression.lib import lite_conversion
  from tfx_compression.lib import tflite_inspect
  if source.is_tflite:
    data = artifact_io.read_bytes(os.path.join(source.serving_dir, TFLITE))
    tflite_dir = source.serving_dir
  else:
    model = keras_io.load_keras_model(source.serving_dir)
    data = lite_conversion.convert_validated(model, None).model_bytes
    tflite_dir = os.path.join(output_dir, CONVERTED_DIR, source.role,
                              artifact_io.SERVING_DIR)
    artifact_io.write_bytes(os.path.join(tflite_dir, TFLITE), data)
  return _Prepared(source, data, tflite_dir, tflite_inspect.summarize(data))


def check_models(config: CompressionEvaluatorConfig, models: List[_Prepared],
                 features, source: str) -> None:
  """Fails loudly where TFMA would go wrong silently.

  Raises:
    InputMismatchError: a model input or the label is not a feature, or the
      prediction key is not a model output.
    UnsupportedModelError: a model takes integer (quantized) inputs.
  """
  for m in models:
    missing = [n for n in m.summary.input_names if n not in features]
    if missing:
      raise InputMismatchError(
          f"{m.source.role} model input(s) {missing} are not features of "
          f"{source} (features: {sorted(features)}); TFMA would feed them "
          "-1 silently. Name each Keras Input after its tf.Example feature.")
    if config.prediction_key not in m.summary.output_names:
      raise InputMismatchError(
          f"prediction_key {config.prediction_key!r} is not an output of the "
          f"{m.source.role} model (outputs: {m.summary.output_names})")
    ints = {n: d for n, d in m.summary.input_dtypes.items()
            if not d.startswith("float")}
    if ints and m.source.is_tflite:
      raise UnsupportedModelError(
          f"{m.source.role} TFLite model has integer inputs {ints}; TFMA "
          "quantizes inputs by truncation, which would misjudge it. Evaluate "
          "a float-I/O export (inference_input_type float32) instead.")
  if config.label_key not in features:
    raise InputMismatchError(
        f"label_key {config.label_key!r} is not a feature of {source} "
        f"(features: {sorted(features)})")


def _eval_model(prepared: _Prepared, use_tflite: bool, prediction_key: str):
  if not use_tflite:
    return tfma_eval.EvalModel(prepared.source.serving_dir, False,
                               prediction_key)
  single = len(prepared.summary.output_names) == 1
  return tfma_eval.EvalModel(prepared.tflite_dir, True,
                             "" if single else _tensor_name(prepared,
                                                            prediction_key))


def _tensor_name(prepared: _Prepared, output: str) -> str:
  """TFMA keys TFLite outputs by tensor name, not signature output name."""
  from tfx_compression.lib import tflite_inspect  # pylint: disable=g-import-not-at-top
  interp = tflite_inspect.interpreter(prepared.tflite_bytes)
  index = interp.get_signature_runner().get_output_details()[output]["index"]
  return interp.get_tensor_details()[index]["name"]


def _measure(prepared: _Prepared, config,
             runtime_bytes: Optional[int]) -> Dict[str, Any]:
  from tfx_compression.lib import benchmark_tflite as bench  # pylint: disable=g-import-not-at-top
  b = config.benchmark
  latency = {str(size): dataclasses.asdict(bench.measure_latency(
      prepared.tflite_bytes, b.num_threads, size, b.warmup_runs, b.runs))
             for size in sorted({1, b.batch_size})}
  memory = None
  if b.measure_memory:  # The child needs a local file (the uri may be remote).
    with tempfile.TemporaryDirectory() as tmp:
      path = os.path.join(tmp, TFLITE)
      with open(path, "wb") as f:
        f.write(prepared.tflite_bytes)
      memory = bench.measure_peak_memory(path, b.num_threads)
  sparsity = bench.weight_sparsity(prepared.tflite_bytes)
  return {
      "uri": prepared.source.uri,
      "format": TFLITE if prepared.source.is_tflite else "keras_saved_model",
      "measured_as": (MEASURED_AS_TFLITE if prepared.source.is_tflite else
                      MEASURED_AS_CONVERSION),
      "size_bytes": prepared.summary.size_bytes,
      "gzip_size_bytes": prepared.summary.gzip_size_bytes,
      "input_dtypes": prepared.summary.input_dtypes,
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


def evaluate(config: CompressionEvaluatorConfig, candidate: ModelSource,
             baseline: ModelSource, example_files: List[str],
             output_dir: str,
             beam_pipeline_args: Optional[List[str]] = None) -> Dict[str, Any]:
  """Evaluates `candidate` against `baseline`; returns the report (no verdict).

  TFMA output goes to `output_dir`. Two SavedModels are compared by TFMA
  directly; otherwise both are compared as TFLite (a SavedModel side is
  converted to float32 TFLite first, as TFMA cannot mix the two).

  Raises:
    InputMismatchError, UnsupportedModelError: see `check_models`.
    Any error of TFMA, the converter or the interpreter.
  """
  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib import examples_io
  prepared = [_prepare(m, output_dir) for m in (candidate, baseline)]
  check_models(config, prepared, examples_io.feature_keys(example_files),
               f"split {config.example_split!r} ({example_files[0]})")
  use_tflite = candidate.is_tflite or baseline.is_tflite
  cand, base = (_eval_model(p, use_tflite, config.prediction_key)
                for p in prepared)
  thresholds = [tfma_eval.Threshold(
      m.class_name, m.name, m.max_drop, m.slice_drop,
      m.direction == Direction.HIGHER_IS_BETTER) for m in config.metrics]
  eval_config = tfma_eval.build_eval_config(cand, base, config.label_key,
                                            thresholds, config.slices)
  pattern = os.path.join(os.path.dirname(example_files[0]), "*")
  tfma_eval.run(eval_config, cand, base, pattern, output_dir,
                beam_pipeline_args)
  ok, results, problems = tfma_eval.read_results(output_dir, thresholds,
                                                 config.slices)
  runtime = None
  if config.benchmark.measure_memory:  # The baseline child (runtime only).
    from tfx_compression.lib import benchmark_tflite  # pylint: disable=g-import-not-at-top
    runtime = benchmark_tflite.measure_runtime_memory(
        config.benchmark.num_threads).increase_bytes
  figures = {CANDIDATE: _measure(prepared[0], config, runtime),
             BASELINE: _measure(prepared[1], config, runtime)}
  c, b = figures[CANDIDATE], figures[BASELINE]
  checks = [checks_lib.metric_check(r) for r in results]
  if problems:
    checks.append(checks_lib.Check(checks_lib.EVALUATION, False, None, None,
                                   "; ".join(problems)))
  checks += checks_lib.budget_checks(config.budgets, c, b)
  return dict(
      figures,
      tfma={"compared_as": "tflite" if use_tflite else "saved_model",
            "validation_ok": ok, "output_path": output_dir},
      metrics=[dataclasses.asdict(r) for r in results],
      ratios={
          "size_ratio": b["size_bytes"] / c["size_bytes"],
          "gzip_size_ratio": b["gzip_size_bytes"] / c["gzip_size_bytes"],
          "latency_ratio": b["latency_median_us"] / c["latency_median_us"],
      },
      checks=[x.to_dict() for x in checks])
