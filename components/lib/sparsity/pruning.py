"""Magnitude pruning with tfmot: layer selection, wrapping, schedules, statistics."""

import dataclasses
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from tfx_compression.errors import CompressionConfigError
from tfx_compression.errors import UnsupportedModelError
from tfx_compression.lib.keras import layer_selection
from tfx_compression.lib.keras import tf_setup  # pylint: disable=unused-import


@dataclasses.dataclass(frozen=True)
class Selection:
  """The outcome of layer selection."""

  selected: List[str]  # layers to prune, in model order
  prunable: List[str]  # every layer tfmot can prune
  skipped: Dict[str, str]  # layer with weights -> why it is not pruned


def _registry():
  from tensorflow_model_optimization.python.core.sparsity.keras import prune_registry  # pylint: disable=g-import-not-at-top
  return prune_registry.PruneRegistry


_UNSUPPORTED = "unsupported"  # tfmot refuses to wrap the layer
_NO_PRUNABLE_WEIGHTS = "no_prunable_weights"  # wraps it but prunes nothing


def _prunability(layer) -> Optional[str]:
  """None if tfmot prunes weights of `layer`, else why it does not."""
  from tensorflow_model_optimization.python.core.sparsity.keras import prunable_layer  # pylint: disable=g-import-not-at-top
  if isinstance(layer, prunable_layer.PrunableLayer):
    return None
  registry = _registry()
  if not registry.supports(layer):
    return _UNSUPPORTED
  if (layer.__class__ in registry._LAYERS_WEIGHTS_MAP and  # pylint: disable=protected-access
      not registry._weight_names(layer)):  # pylint: disable=protected-access
    return _NO_PRUNABLE_WEIGHTS
  return None


def select_layers(model, selection, m_by_n: Optional[Tuple[int, int]] = None
                  ) -> Selection:
  """Applies a `LayerSelection` to `model`.

  Layers tfmot cannot prune (LSTM, Bidirectional, Embedding wrappers,
  Normalization, custom layers) are skipped with the reason, unless an
  include rule names them.

  Raises:
    CompressionConfigError: an unknown layer name; a layer tfmot cannot
      prune that an include rule names; nothing left to prune; an m_by_n
      layer whose input channels are not a multiple of n.
  """
  chosen = layer_selection.chosen_layers(model, selection)
  layers = [l for l in model.layers if l.weights]
  reasons = {l.name: _prunability(l) for l in layers}
  prunable = [l.name for l in layers if reasons[l.name] is None]
  refused = [l for l in chosen if reasons[l.name] and
             layer_selection.named(l, selection)]
  if refused:
    raise CompressionConfigError(
        "tfmot cannot prune layer(s) "
        f"{[f'{l.name} ({type(l).__name__})' for l in refused]}, which "
        "selection.include_* names. Remove them from the include rules or "
        f"exclude them (selection.exclude_names: {[l.name for l in refused]})"
        f"; prunable layers: {prunable}")
  skipped = {l.name: (f"tfmot cannot prune {type(l).__name__} layers "
                      "(skipped)" if reasons[l.name] == _UNSUPPORTED else
                      f"tfmot prunes no weight of {type(l).__name__} layers")
             for l in chosen if reasons[l.name]}
  selected = [l.name for l in chosen if reasons[l.name] is None]
  if selection.keep_first_and_last and prunable:
    for protected in {prunable[0], prunable[-1]}:
      if protected in selected:
        selected.remove(protected)
        skipped[protected] = "kept dense: first or last prunable layer"
  for l in layers:
    if l.name not in selected and l.name not in skipped:
      skipped[l.name] = "not selected"
  if not selected:
    raise CompressionConfigError(
        f"selection leaves no layer to prune; prunable layers: {prunable}; "
        f"skipped: {skipped}")
  if m_by_n is not None:
    _check_m_by_n_layers(model, selected, m_by_n)
  return Selection(selected=selected, prunable=prunable, skipped=skipped)


def _check_m_by_n_layers(model, selected, m_by_n):
  bad = []
  for name in selected:
    kernel = getattr(model.get_layer(name), "kernel", None)
    if kernel is None or len(kernel.shape) not in (2, 4) or (
        kernel.shape[-2] % m_by_n[1]):
      shape = None if kernel is None else tuple(kernel.shape)
      bad.append(f"{name} (kernel {shape})")
  if bad:
    raise CompressionConfigError(
        f"m_by_n {m_by_n} needs Dense/Conv2D kernels whose input channels are a "
        f"multiple of {m_by_n[1]}; these are not: {bad}. Exclude them (e.g. "
        "LayerSelection(keep_first_and_last=True) or exclude_names).")


def tfmot_schedule(schedule, total_steps: int):
  """Maps a PolynomialDecay / ConstantSparsity config to the tfmot schedule.

  Returns:
    (the tfmot schedule, the `pruning_steps.StepPlan` it was built with).
  """
  import tensorflow_model_optimization as tfmot  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.sparsity import pruning_steps  # pylint: disable=g-import-not-at-top
  steps = pruning_steps.plan(total_steps, schedule.begin_step, schedule.end_step,
                           schedule.frequency, schedule.recovery_fraction)
  if hasattr(schedule, "final_sparsity"):
    return tfmot.sparsity.keras.PolynomialDecay(
        initial_sparsity=schedule.initial_sparsity,
        final_sparsity=schedule.final_sparsity, begin_step=steps.begin_step,
        end_step=steps.end_step, power=schedule.power,
        frequency=steps.frequency), steps
  return tfmot.sparsity.keras.ConstantSparsity(
      target_sparsity=schedule.target_sparsity, begin_step=steps.begin_step,
      end_step=steps.end_step, frequency=steps.frequency), steps


def wrap_for_pruning(model, selected: Sequence[str], schedule,
                     block_size=(1, 1), block_pooling="AVG",
                     m_by_n: Optional[Tuple[int, int]] = None):
  """Returns a clone of `model` whose `selected` layers are tfmot-wrapped.

  `schedule` is one tfmot schedule for all, or layer name -> its own.
  Unselected layers are the same objects as in `model` (clone_model would
  re-initialise rebuilt layers), so `model` itself must not be reused after
  fine-tuning the result.
  """
  import tensorflow_model_optimization as tfmot  # pylint: disable=g-import-not-at-top
  import tf_keras  # pylint: disable=g-import-not-at-top
  selected = set(selected)

  def wrap(layer):
    if layer.name not in selected:
      return layer
    own = schedule[layer.name] if isinstance(schedule, dict) else schedule
    return tfmot.sparsity.keras.prune_low_magnitude(
        layer, pruning_schedule=own, block_size=tuple(block_size),
        block_pooling_type=block_pooling,
        sparsity_m_by_n=tuple(m_by_n) if m_by_n else None)

  try:
    return tf_keras.models.clone_model(model, clone_function=wrap)
  except ValueError as e:
    raise UnsupportedModelError(
        f"tfmot could not wrap model {model.name!r} for pruning: {e}") from e


def strip(model):
  """Removes the pruning wrappers, keeping the pruned (zeroed) weights."""
  import tensorflow_model_optimization as tfmot  # pylint: disable=g-import-not-at-top
  return tfmot.sparsity.keras.strip_pruning(model)


@dataclasses.dataclass(frozen=True)
class LayerSparsity:
  name: str
  type: str
  pruned: bool
  params: int
  zeros: int

  @property
  def sparsity(self) -> float:
    return self.zeros / self.params if self.params else 0.0


def kernel_of(layer):
  """The weight tfmot prunes in Dense/Conv layers (None for others)."""
  return getattr(layer, "kernel", None)


def layer_sparsity(model, pruned: Sequence[str]) -> List[LayerSparsity]:
  """Per-layer kernel zeros for every layer with a kernel."""
  stats = []
  for layer in model.layers:
    kernel = kernel_of(layer)
    if kernel is None:
      continue
    values = kernel.numpy()
    stats.append(LayerSparsity(layer.name, type(layer).__name__,
                               layer.name in pruned, int(values.size),
                               int(values.size - np.count_nonzero(values))))
  return stats


def m_by_n_violations(kernel: np.ndarray, m_by_n: Tuple[int, int]) -> int:
  """Counts groups of n consecutive input-channel weights with fewer than m zeros.

  Groups run along the input channel for each output channel (and kernel
  position), as TFLite lays out Dense [out, in] and Conv2D [out, h, w, in].
  """
  m, n = m_by_n
  rows = np.moveaxis(kernel, -1, 0).reshape(-1, kernel.shape[-2])
  groups = rows.reshape(rows.shape[0], -1, n)
  return int(np.sum(np.sum(groups == 0, axis=-1) < m))


def weights_gzip_size(model) -> int:
  """Deflate size of all the model's weights as float32 bytes."""
  from tfx_compression.lib.tflite import inspection  # pylint: disable=g-import-not-at-top
  data = b"".join(np.asarray(w, np.float32).tobytes()
                  for w in model.get_weights())
  return inspection.compressed_size(data)
