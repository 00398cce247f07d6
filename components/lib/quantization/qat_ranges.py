"""QAT that starts where PTQ ends: quantizer ranges calibrated on real data.

tfmot creates every fake-quant range at [-6, 6] and moves activation ranges
by an exponential moving average with decay 0.999 of each training batch's
range: on a few thousand steps they stay far from the real ranges, so QAT
starts (and mostly trains) well below the int8 accuracy that plain
post-training quantization reaches. `initialize` sets

* weight ranges from the weights, with each weight quantizer's own rule
  (per-channel symmetric for convolutions), and
* activation ranges to the min / max each activation quantizer sees over
  calibration batches, with its quantizers passed through (float
  activations, as the TFLite calibrator sees them),

so the QAT model at step 0 computes what PTQ int8 computes. Later training
moves activation ranges by tfmot's moving average from there.

This reads tfmot 0.8.1 wrapper internals (`_weight_vars`,
`_quantize_activations`, `_output_quantizers`): the library tests read the
ranges back, so a tfmot upgrade that changes them fails there.
"""

import dataclasses
from typing import Dict, Iterable, List

import numpy as np

from tfx_compression.errors import UnsupportedModelError


@dataclasses.dataclass(frozen=True)
class RangeInit:
  """What `initialize` set."""

  weight_ranges: int  # weight quantizers given their weights' range
  activation_ranges: int  # activation / output quantizers calibrated
  uncalibrated: List[str]  # activation quantizers no batch reached
  batches: int
  examples: int


class _Site:
  """One activation quantizer: where it sits, and the ranges it saw."""

  def __init__(self, owner, quantizer, variables, name):
    self.owner, self.quantizer, self.variables = owner, quantizer, variables
    self.name = name
    self.low = self.high = None

  def record(self, values):
    axes = (tuple(range(values.ndim - 1))
            if getattr(self.quantizer, "per_axis", False) else None)
    low, high = np.min(values, axis=axes), np.max(values, axis=axes)
    self.low = low if self.low is None else np.minimum(self.low, low)
    self.high = high if self.high is None else np.maximum(self.high, high)


class _Recorder:
  """Stands in for a quantizer during calibration: records, passes through."""

  def __init__(self, original, sites_by_var: Dict[int, _Site]):
    self.original = original
    self.sites_by_var = sites_by_var

  def __call__(self, inputs, training, weights, **kwargs):
    del training, kwargs
    site = self.sites_by_var.get(id(weights["min_var"]))
    if site is not None:
      site.record(np.asarray(inputs))
    return inputs


def _wrappers(model):
  from tensorflow_model_optimization.python.core.quantization.keras import quantize_layer  # pylint: disable=g-import-not-at-top
  from tensorflow_model_optimization.python.core.quantization.keras import quantize_wrapper  # pylint: disable=g-import-not-at-top
  return [l for l in model.layers if isinstance(
      l, (quantize_wrapper.QuantizeWrapper, quantize_layer.QuantizeLayer))]


def _has_range(variables) -> bool:
  return isinstance(variables, dict) and "min_var" in variables and (
      "max_var" in variables)


def _activation_sites(layer) -> List[tuple]:
  """(owner object, attribute or index, quantizer, variables, name) per site."""
  sites = []
  if hasattr(layer, "quantizer_vars"):  # QuantizeLayer
    if layer.quantizer is not None and _has_range(layer.quantizer_vars):
      sites.append((layer, "quantizer", layer.quantizer, layer.quantizer_vars,
                    f"{layer.name}/input"))
    return sites
  for activation in getattr(layer, "_quantize_activations", []):
    for kind in ("pre", "post"):
      variables = getattr(activation, f"_{kind}_activation_vars", None)
      if _has_range(variables):
        sites.append((activation, "quantizer", activation.quantizer, variables,
                      f"{layer.name}/{kind}_activation"))
  quantizers = getattr(layer, "_output_quantizers", None)
  if quantizers and _has_range(getattr(layer, "_output_quantizer_vars", None)):
    sites.append((quantizers, 0, quantizers[0], layer._output_quantizer_vars,  # pylint: disable=protected-access
                  f"{layer.name}/output"))
  return sites


def _set(owner, key, value):
  if isinstance(owner, list):
    owner[key] = value
  else:
    setattr(owner, key, value)


def _range_of(site: _Site):
  """The quantizer's (min, max) for the recorded values (tfmot's rules)."""
  low, high = site.low, site.high
  if getattr(site.quantizer, "symmetric", False):
    bits = getattr(site.quantizer, "num_bits", 8)
    ratio = (-1.0 if getattr(site.quantizer, "narrow_range", False) else
             -((1 << bits) - 2) / (1 << bits))
    return np.minimum(low, high / ratio), np.maximum(high, low * ratio)
  return np.minimum(low, 0.0), np.maximum(high, 0.0)


def initialize_weight_ranges(qat_model) -> int:
  """Sets every weight quantizer's range from its weight; returns the count."""
  count = 0
  for layer in _wrappers(qat_model):
    for weight, quantizer, variables in getattr(layer, "_weight_vars", []):
      if _has_range(variables):
        # LastValueQuantize in training mode assigns the weight's range to
        # the quantizer's variables (per channel, symmetric, as configured).
        quantizer(weight, True, weights=variables)
        count += 1
  return count


def initialize(qat_model, batches: Iterable) -> RangeInit:
  """Sets the quantizer ranges of a tfmot QAT model from data.

  Args:
    qat_model: A model built by `quantize_apply` (not yet trained).
    batches: Model inputs (what the model is called on), a few batches of
      real examples; a (features, labels) pair's labels are ignored.

  Returns:
    What was set.

  Raises:
    UnsupportedModelError: the model has no tfmot quantizers, or no batch.
  """
  wrappers = _wrappers(qat_model)
  if not wrappers:
    raise UnsupportedModelError(
        f"model {qat_model.name!r} has no tfmot quantization wrappers")
  weight_ranges = initialize_weight_ranges(qat_model)
  found = [s for layer in wrappers for s in _activation_sites(layer)]
  sites = {id(variables["min_var"]): _Site(owner, quantizer, variables, name)
           for owner, _, quantizer, variables, name in found}
  swapped = []
  for owner, key, quantizer, _, _ in found:
    if not isinstance(quantizer, _Recorder):
      _set(owner, key, _Recorder(quantizer, sites))
      swapped.append((owner, key, quantizer))
  num_batches = examples = 0
  try:
    for batch in batches:
      inputs = batch[0] if isinstance(batch, tuple) else batch
      outputs = qat_model(inputs, training=False)
      examples += int(np.shape(outputs)[0])
      num_batches += 1
  finally:
    for owner, key, quantizer in swapped:
      _set(owner, key, quantizer)
  if not num_batches:
    raise UnsupportedModelError("range initialisation got no batches")
  uncalibrated = []
  for site in sites.values():
    if site.low is None:
      uncalibrated.append(site.name)
      continue
    low, high = _range_of(site)
    site.variables["min_var"].assign(np.asarray(low, np.float32))
    site.variables["max_var"].assign(np.asarray(high, np.float32))
  return RangeInit(weight_ranges=weight_ranges,
                   activation_ranges=len(sites) - len(uncalibrated),
                   uncalibrated=uncalibrated, batches=num_batches,
                   examples=examples)


def freeze_batch_norm(qat_model) -> List[str]:
  """Runs every BatchNormalization of `qat_model` in inference mode.

  A non-trainable Keras BatchNormalization normalizes with its moving
  statistics and keeps gamma / beta: training then sees the affine function
  that the TFLite converter folds into the preceding convolution's
  per-channel int8 kernel (a per-channel scale keeps that kernel's grid, so
  folding loses nothing), instead of batch statistics that drift from it.

  Returns:
    The names of the frozen layers.
  """
  import tf_keras  # pylint: disable=g-import-not-at-top
  frozen = []
  for layer in qat_model.layers:
    inner = getattr(layer, "layer", layer)
    if isinstance(inner, tf_keras.layers.BatchNormalization):
      inner.trainable = False
      frozen.append(layer.name)
  return frozen
