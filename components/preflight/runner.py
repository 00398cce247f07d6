"""The Preflight's checks on plain values: split names and two readers."""

from typing import Callable, Sequence, Set

from tfx_compression.errors import CompressionConfigError
from tfx_compression.errors import InputMismatchError
from tfx_compression.errors import InsufficientExamplesError


def check(config, splits: Sequence[str], count: Callable[[str, int], int],
          keys: Callable[[str], Set[str]],
          known_metric: Callable[[str], bool] = lambda name: True) -> str:
  """Raises the first requirement of `config` the examples fail.

  Args:
    config: The `PreflightConfig`.
    splits: The examples' split names.
    count: (split, limit) -> its records, counted up to `limit`.
    keys: split -> the feature keys of its first records.
    known_metric: class name -> whether TFMA or tf_keras has that metric.

  Raises:
    InsufficientExamplesError: a sample size the splits cannot give.
    InputMismatchError: a split or feature a plan key names is missing.
    CompressionConfigError: a metric class neither TFMA nor tf_keras has.
  """
  for metric in config.metrics:
    if not known_metric(metric.class_name):
      raise CompressionConfigError(
          f"{metric.plan_key} is {metric.class_name!r}, which is neither a "
          "tfma.metrics nor a tf_keras.metrics class (e.g. "
          "'SparseCategoricalAccuracy', 'AUC', 'MeanSquaredError')")
  for need in list(config.sizes) + list(config.features):
    for split in getattr(need, "splits", None) or (need.split,):
      if split not in splits:
        raise InputMismatchError(
            f"{need.plan_key} reads split {split!r}; the examples have "
            f"{list(splits)}")
  for size in config.sizes:
    held = {split: count(split, size.value) for split in size.splits}
    if sum(held.values()) < size.value:
      counts = ", ".join(f"{s!r} {n}" for s, n in held.items())
      raise InsufficientExamplesError(
          f"{size.plan_key} is {size.value}, but the split(s) hold {counts} "
          f"examples: lower {size.plan_key}, or leave it unset to use what "
          "the split holds (checked before training)")
  for need in config.features:
    found = keys(need.split)
    if need.feature not in found:
      raise InputMismatchError(
          f"{need.plan_key} is {need.feature!r}, which split {need.split!r} "
          f"does not have (features: {sorted(found)}): name a feature of the "
          "examples")
  return (f"{len(config.sizes)} size, {len(config.features)} feature and "
          f"{len(config.metrics)} metric requirement(s) hold")
