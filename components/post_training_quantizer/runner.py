"""The PostTrainingQuantizer's work on plain objects: quantize, prove, compare."""

import dataclasses
import os
from typing import Any, Callable, Mapping, Optional, Sequence, Tuple

import numpy as np

from tfx_compression.errors import InputMismatchError


@dataclasses.dataclass(frozen=True)
class Quantized:
  result: Any  # ptq.QuantizationResult
  serving: Optional[Any]  # post_validation.Agreement with serving_default


def quantize(prepared, config,
             calibration: Optional[Mapping[str, np.ndarray]]) -> Quantized:
  """Quantizes `prepared.source.function` as `config` says and proves it.

  Args:
    prepared: A `conversion_input.ConversionInput` (validation records).
    config: The `PostTrainingQuantizerConfig`.
    calibration: The sampled calibration inputs (None without calibration).
  """
  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.conversion import conversion_input
  from tfx_compression.lib.quantization import ptq
  search = None
  if config.accuracy_budget is not None:
    from tfx_compression.lib.quantization import search_judge  # pylint: disable=g-import-not-at-top
    search = ptq.BudgetSearch(
        budget=config.accuracy_budget, objective=config.objective,
        max_conversions=config.max_search_conversions,
        max_float_units=config.max_auto_float_layers,
        labels=(search_judge.labels_from(prepared.serialized, config.label_key)
                if config.label_key and prepared.serialized else None))
  result = ptq.post_training_quantize(
      prepared.source.function, config.mode, config.io_type, calibration,
      prepared.inputs, min_argmax_agreement=config.min_argmax_agreement,
      num_debug_examples=config.num_debug_examples,
      float_layers=config.float_layers, float_ops=config.float_ops,
      max_auto_float_layers=config.max_auto_float_layers,
      max_relative_output_error=config.max_relative_output_error,
      backend=config.backend, block_size=config.block_size, search=search)
  return Quantized(result, conversion_input.serving_check(
      prepared, result.conversion.model_bytes, config.min_argmax_agreement))


def calibration_size(config, files, stats, source: str) -> int:
  """`num_calibration_examples`, or the default clamped to the splits.

  An explicit size the splits cannot give stays an error (the sampler's);
  the default shrinks to what they hold, with a logged notice.
  """
  # pylint: disable=g-import-not-at-top
  from absl import logging
  from tfx_compression.lib.data import example_stats
  from tfx_compression.lib.options.quantization import SamplingStrategy
  from tfx_compression.post_training_quantizer.config import DEFAULT_CALIBRATION_EXAMPLES
  if config.num_calibration_examples is not None:
    return config.num_calibration_examples
  available = stats.records
  if config.sampling is SamplingStrategy.PER_CLASS:
    labels = example_stats.scan(files, source, config.label_key).labels
    available = min(labels.values()) if labels else 0
  if 0 < available < DEFAULT_CALIBRATION_EXAMPLES:
    logging.warning(
        "num_calibration_examples is unset: calibrating on the %d examples "
        "%s holds%s instead of the default %d.", available, source,
        " per class" if config.sampling is SamplingStrategy.PER_CLASS else "",
        DEFAULT_CALIBRATION_EXAMPLES)
    return available
  return DEFAULT_CALIBRATION_EXAMPLES


def sample_calibration(files: Sequence[str], source: str, space, config,
                       split_dir: str, stats_path: str,
                       make_pipeline: Callable,
                       beam_pipeline_args=None) -> Tuple[Mapping[str, np.ndarray],
                                                         Any]:
  """Checks the calibration records, samples them with Beam, reads them back.

  Args:
    files: The calibration splits' TFRecord files.
    source: How messages name them, e.g. "split(s) ['train'] of Examples ...".
    space: The quantized model's `feature_space.FeatureSpace`.
    config: The `PostTrainingQuantizerConfig`.
    split_dir: Where the sampled split is written.
    stats_path: Where the sampling statistics are written.
    make_pipeline: Makes the Beam pipeline (the executor's `beam_pipeline_args`).
    beam_pipeline_args: The runner of the records' scan (large splits).

  Returns:
    (model inputs of the sampled records, `calibration_sampling` stats).

  Raises:
    InputMismatchError: a feature the model reads, or the label key, is
      missing from the records.
  """
  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.quantization import calibration_sampling
  from tfx_compression.lib.data import example_stats
  from tfx_compression.lib.data import examples_io
  from tfx_compression.lib.conversion import conversion_source
  # pylint: enable=g-import-not-at-top
  calibration_sampling.check_has_examples(files, source)
  stats = example_stats.scan(files, source,
                             beam_pipeline_args=beam_pipeline_args,
                             work_dir=os.path.dirname(split_dir))
  keys = stats.keys
  missing = sorted(set(space.parse) - keys)
  if missing:
    raise InputMismatchError(
        f"Feature(s) {missing} the quantized model reads "
        f"({space.description}) are not features of {source}; features: "
        f"{sorted(keys)}")
  example_stats.check_features(stats, space.parse, "the quantized model")
  if config.label_key and config.label_key not in keys:
    raise InputMismatchError(
        f"label_key {config.label_key!r} is not a feature of {source}; "
        f"features: {sorted(keys)}")
  stats = calibration_sampling.sample_tfrecords(
      files, split_dir, stats_path, calibration_size(config, files, stats, source),
      config.sampling, label_key=config.label_key or None, seed=config.seed,
      make_pipeline=make_pipeline, source=source)
  return conversion_source.read_inputs(
      space, examples_io.read_serialized(stats.files, stats.sampled)), stats
