"""Applying a `LayerSelection` to a Keras model (shared by pruning and QAT)."""

import re
from typing import List

from tfx_compression.errors import CompressionConfigError


def _matches(layer, names, regex, types) -> bool:
  return (layer.name in names or type(layer).__name__ in types or
          (regex is not None and re.search(regex, layer.name) is not None))


def chosen_layers(model, selection) -> List:
  """The layers with weights that `selection`'s include/exclude rules choose.

  Raises:
    CompressionConfigError: include_names or exclude_names name a layer the
      model does not have (the message lists the model's layers).
  """
  names = [l.name for l in model.layers]
  for field in ("include_names", "exclude_names"):
    unknown = [n for n in getattr(selection, field) if n not in names]
    if unknown:
      raise CompressionConfigError(
          f"selection.{field} names unknown layer(s) {unknown}; the model's "
          f"layers are {names}")
  has_include = bool(selection.include_names or selection.include_types or
                     selection.include_regex)
  return [l for l in model.layers if l.weights
          and (not has_include or _matches(l, selection.include_names,
                                           selection.include_regex,
                                           selection.include_types))
          and not _matches(l, selection.exclude_names, selection.exclude_regex,
                           selection.exclude_types)]


def named(layer, selection) -> bool:
  """Whether an include rule of `selection` names `layer` (by name, type or
  regex): the user asked for it, so a layer that cannot be compressed is an
  error rather than skipped."""
  return _matches(layer, selection.include_names, selection.include_regex,
                  selection.include_types)
