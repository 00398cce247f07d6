"""How much each pruned layer loses: one ratio for all, or a global threshold.

`global_magnitude` ranks every selected kernel weight of the model together
and picks one magnitude threshold so that the weights under it are the
overall target; each layer's sparsity is then its share under that
threshold. Layers of many small weights (wide Dense layers) lose more, and
layers whose every weight matters (the first convolution, a narrow head)
less, than one ratio for all would take. A layer is capped at
`MAX_LAYER_SPARSITY` so that none is emptied; the threshold rises until the
overall target holds anyway. The ratios are set once, from the input model;
tfmot's schedules then reach each layer's own ratio.
"""

from typing import Dict, Mapping

import numpy as np

from tfx_compression.errors import CompressionConfigError

MAX_LAYER_SPARSITY = 0.98


def overall(ratios: Mapping[str, float], sizes: Mapping[str, int]) -> float:
  """The share of zeros over all layers for per-layer `ratios`."""
  total = sum(sizes.values())
  return sum(ratios[n] * sizes[n] for n in ratios) / total if total else 0.0


def global_magnitude(kernels: Mapping[str, np.ndarray], target: float,
                     cap: float = MAX_LAYER_SPARSITY) -> Dict[str, float]:
  """Per-layer sparsity from one magnitude threshold over all `kernels`.

  Args:
    kernels: Layer name -> its kernel (any shape).
    target: The overall share of zeros, in [0, cap].
    cap: No layer is pruned beyond this share.

  Returns:
    Layer name -> sparsity in [0, cap]; the size-weighted mean is `target`
    to within one weight.
  """
  if not 0.0 <= target <= cap:
    raise CompressionConfigError(
        f"allocation 'global_magnitude' reaches at most {cap} sparsity (no "
        f"layer is emptied); got a target of {target!r}")
  magnitudes = {n: np.sort(np.abs(np.asarray(k, np.float64)).ravel())
                for n, k in kernels.items()}
  sizes = {n: m.size for n, m in magnitudes.items()}

  def ratios(threshold: float) -> Dict[str, float]:
    return {n: min(cap, np.searchsorted(m, threshold, side="right") / m.size)
            for n, m in magnitudes.items() if m.size}

  low, high = 0.0, max((m[-1] for m in magnitudes.values() if m.size),
                       default=0.0)
  if overall(ratios(low), sizes) >= target:  # exact zeros already suffice
    high = low
  for _ in range(100):  # bisection on the threshold: overall() is monotone
    middle = (low + high) / 2
    if overall(ratios(middle), sizes) < target:
      low = middle
    else:
      high = middle
  result, below = ratios(high), ratios(low)
  # Weights tied at the threshold can overshoot: take back from the layers
  # that hold them (whose ratio jumps between `low` and `high`).
  total = sum(sizes.values())
  excess = overall(result, sizes) - target
  for name in sorted(result, key=lambda n: -sizes[n]):
    if excess <= 0:
      break
    trim = min(result[name] - below[name], excess * total / sizes[name])
    result[name] -= trim
    excess -= trim * sizes[name] / total
  return {n: float(r) for n, r in result.items()}
