"""Quantization-aware training with tfmot: selective annotation, schemes, sparsity."""

import dataclasses
from typing import Dict, List, Optional, Sequence

import numpy as np

from tfx_compression.errors import CompressionConfigError
from tfx_compression.lib.keras import layer_selection
from tfx_compression.lib.keras import tf_setup  # pylint: disable=unused-import


@dataclasses.dataclass(frozen=True)
class QatSelection:
  """Which layers get fake-quantization, and why the others stay float."""

  quantized: List[str]  # annotated layers, in model order
  float_layers: Dict[str, str]  # layer with weights -> why it stays float


def _registry():
  from tensorflow_model_optimization.python.core.quantization.keras.default_8bit import default_8bit_quantize_registry  # pylint: disable=g-import-not-at-top
  return default_8bit_quantize_registry.Default8BitQuantizeRegistry()


def select_layers(model, selection, skip_unsupported) -> QatSelection:
  """Applies a `LayerSelection` to `model` for QAT.

  Layers with weights follow the selection; weightless layers the 8-bit
  registry supports (pooling, reshape, ...) are annotated too, so quantized
  layers connect without float islands.

  `skip_unsupported`: True leaves every layer tfmot cannot quantize float;
  None (the default) only those no include rule names; False none.

  Raises:
    CompressionConfigError: unknown layer names; selected layers tfmot cannot
      quantize (see `skip_unsupported`); nothing left to quantize.
  """
  registry = _registry()
  weighted = [l for l in model.layers if l.weights]
  chosen = {l.name for l in layer_selection.chosen_layers(model, selection)}
  float_layers = {l.name: "not selected" for l in weighted
                  if l.name not in chosen}
  supported = [l.name for l in weighted if _supports(registry, l)]
  if selection.keep_first_and_last and supported:
    for name in {supported[0], supported[-1]}:
      if name in chosen:
        chosen.discard(name)
        float_layers[name] = "kept float: first or last quantizable layer"
  unsupported = [l for l in weighted if l.name in chosen and
                 not _supports(registry, l)]
  refused = [l for l in unsupported if skip_unsupported is False or (
      skip_unsupported is None and layer_selection.named(l, selection))]
  if refused:
    raise CompressionConfigError(
        "tfmot cannot quantize layer(s) "
        f"{[f'{l.name} ({type(l).__name__})' for l in refused]}. Exclude "
        f"them (LayerSelection(exclude_names={[l.name for l in refused]})) "
        "or set skip_unsupported_layers=True to leave them float.")
  for l in unsupported:
    chosen.discard(l.name)
    float_layers[l.name] = (f"tfmot cannot quantize {type(l).__name__} layers "
                            "(skipped)")
  if not chosen:
    raise CompressionConfigError(
        f"selection leaves no layer to quantize; quantizable layers: "
        f"{supported}; float: {float_layers}")
  quantized = [l.name for l in model.layers if l.name in chosen or (
      not l.weights and registry.supports(l) and
      not isinstance(l, _input_layer_class()))]
  return QatSelection(quantized=quantized, float_layers=float_layers)


def _supports(registry, layer) -> bool:
  """Whether tfmot's 8-bit scheme quantizes `layer`.

  The registry leaves BatchNormalization out: tfmot folds it into the
  convolution before it (Conv2D / DepthwiseConv2D + BN [+ ReLU] patterns),
  so such a BN is supported; a BN anywhere else is not.
  """
  import tf_keras  # pylint: disable=g-import-not-at-top
  if registry.supports(layer):
    return True
  if not isinstance(layer, tf_keras.layers.BatchNormalization):
    return False
  inbound = [n.inbound_layers for n in layer._inbound_nodes]  # pylint: disable=protected-access
  convs = (tf_keras.layers.Conv2D, tf_keras.layers.DepthwiseConv2D)
  return bool(inbound) and all(isinstance(i, convs) for i in inbound)


def _input_layer_class():
  import tf_keras  # pylint: disable=g-import-not-at-top
  return tf_keras.layers.InputLayer


def kernel_sparsity(model, layer_names: Optional[Sequence[str]] = None) -> float:
  """Share of zeros in the kernels of `layer_names` (all kernels if None)."""
  zeros = total = 0
  for layer in model.layers:
    kernel = getattr(layer, "kernel", None)
    if kernel is None or (layer_names is not None and layer.name not in layer_names):
      continue
    values = kernel.numpy()
    zeros += values.size - np.count_nonzero(values)
    total += values.size
  return zeros / total if total else 0.0


def quantize(model, selection: QatSelection, prune_preserving: bool,
             cluster_preserving: bool = False):
  """Returns the QAT model: `selection.quantized` layers fake-quantized.

  Layers keep their names (no 'quant_' prefix), so the TFLite model's outputs
  are named like the original's and evaluators find the same prediction key.
  Unannotated layers are the same objects as in `model`.

  Args:
    model: The float Keras model.
    selection: The layers to quantize.
    prune_preserving: Keep zero weights zero (tfmot's prune-preserving
      scheme, or the cluster-preserving scheme's `preserve_sparsity`).
    cluster_preserving: The weights are clustered: tfmot's
      Default8BitClusterPreserveQuantizeScheme keeps each kernel's centroids.
  """
  import tensorflow_model_optimization as tfmot  # pylint: disable=g-import-not-at-top
  import tf_keras  # pylint: disable=g-import-not-at-top
  chosen = set(selection.quantized)
  annotated = tf_keras.models.clone_model(
      model, clone_function=lambda l: (
          tfmot.quantization.keras.quantize_annotate_layer(l)
          if l.name in chosen else l))
  combine = tfmot.experimental.combine
  if cluster_preserving:
    scheme = combine.Default8BitClusterPreserveQuantizeScheme(
        preserve_sparsity=prune_preserving)
  elif prune_preserving:
    scheme = combine.Default8BitPrunePreserveQuantizeScheme()
  else:
    scheme = tfmot.quantization.keras.default_8bit.Default8BitQuantizeScheme()
  return tfmot.quantization.keras.quantize_apply(
      annotated, scheme, quantized_layer_name_prefix="")


def int8_kernel_sparsity(model_bytes: bytes) -> float:
  """Share of zeros in the constant int8 tensors of rank >= 2 (the kernels)."""
  from tfx_compression.lib.tflite import inspection  # pylint: disable=g-import-not-at-top
  kernels = [values for _, values, _ in
             inspection.int8_kernels(model_bytes)]
  total = sum(values.size for values in kernels)
  zeros = sum(int(np.sum(values == 0)) for values in kernels)
  return zeros / total if total else 0.0


def load_qat_model(path: str):
  """Loads a QAT Keras SavedModel (needs tfmot's quantize_scope)."""
  import tensorflow_model_optimization as tfmot  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.keras import saved_model_io  # pylint: disable=g-import-not-at-top
  with tfmot.quantization.keras.quantize_scope():
    return saved_model_io.load_keras_model(path, compile=False)
