"""Pruning for XNNPACK's sparse inference (tfmot's PruneForLatencyOnXNNPack).

The policy does two things, both before any weight is touched: it checks
that the model has the structure XNNPACK's sparse (NCHW) path takes, and it
allows only 1x1 convolutions to be pruned. The Pruner applies it to its own
layer selection, so `selection` still narrows what is pruned.
"""

import dataclasses

from tfx_compression.errors import CompressionConfigError
from tfx_compression.errors import UnsupportedModelError
from tfx_compression.lib.sparsity.pruning import Selection

_NOT_1X1 = "kept dense: policy 'xnnpack' prunes 1x1 convolutions only"


def _policy():
  from tensorflow_model_optimization.python.core.sparsity.keras import pruning_policy  # pylint: disable=g-import-not-at-top
  return pruning_policy.PruneForLatencyOnXNNPack()


def check_structure(model) -> None:
  """Raises UnsupportedModelError unless XNNPACK can run `model` sparse."""
  try:
    _policy().ensure_model_supports_pruning(model)
  except ValueError as e:
    raise UnsupportedModelError(
        f"Pruner policy 'xnnpack' needs a model XNNPACK's sparse inference "
        f"can run; tfmot's PruneForLatencyOnXNNPack refuses this one: {e}. "
        "The model must start with ZeroPadding2D(((1, 1), (1, 1))) and a 3x3 "
        "Conv2D with strides 2, padding 'valid' over 3 channels, end in "
        "GlobalAveragePooling2D before its head, and use only 1x1 and "
        "depthwise convolutions, BatchNormalization, ReLU-like activations "
        "and Add between them (stride-2 depthwise convolutions as "
        "ZeroPadding2D(1) + 'valid'). Rebuild the model so, or set the "
        "Pruner's policy 'none'.") from e


def restrict(model, selection: Selection) -> Selection:
  """`selection` narrowed to the layers the policy lets tfmot prune.

  Raises:
    UnsupportedModelError: the model's structure (see `check_structure`).
    CompressionConfigError: no selected layer is a 1x1 convolution.
  """
  check_structure(model)
  policy = _policy()
  allowed = {l.name for l in model.layers if policy.allow_pruning(l)}
  kept = [name for name in selection.selected if name in allowed]
  if not kept:
    raise CompressionConfigError(
        "policy 'xnnpack' prunes 1x1 convolutions only, and the selection "
        f"holds none: selected {selection.selected}; the model's 1x1 "
        f"convolutions: {sorted(allowed)}. Widen `selection` or set policy "
        "'none'.")
  skipped = dict(selection.skipped)
  skipped.update({name: _NOT_1X1 for name in selection.selected
                  if name not in allowed})
  return dataclasses.replace(selection, selected=kept, skipped=skipped)
