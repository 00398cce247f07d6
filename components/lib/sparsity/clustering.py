"""Weight clustering with tfmot: layer selection, wrapping, strip, unique values."""

import dataclasses
from typing import Dict, List, Sequence

import numpy as np

from tfx_compression.errors import CompressionConfigError
from tfx_compression.errors import UnsupportedModelError
from tfx_compression.lib.keras import layer_selection
from tfx_compression.lib.options.clustering import CentroidInit
from tfx_compression.lib.keras import tf_setup  # pylint: disable=unused-import


@dataclasses.dataclass(frozen=True)
class Selection:
  """The outcome of layer selection for clustering."""

  selected: List[str]  # layers to cluster, in model order
  clusterable: List[str]  # every layer with weights tfmot can cluster
  skipped: Dict[str, str]  # layer with weights -> why it is not clustered


def _clusterable(layer) -> bool:
  from tensorflow_model_optimization.python.core.clustering.keras import clusterable_layer  # pylint: disable=g-import-not-at-top
  from tensorflow_model_optimization.python.core.clustering.keras import clustering_registry  # pylint: disable=g-import-not-at-top
  return (isinstance(layer, clusterable_layer.ClusterableLayer) or
          clustering_registry.ClusteringRegistry.supports(layer))


def select_layers(model, selection, number_of_clusters: int) -> Selection:
  """Applies a `LayerSelection` (the Pruner's) to `model` for clustering.

  Raises:
    CompressionConfigError: unknown layer names; an included layer tfmot
      cannot cluster, or whose kernel has fewer weights than clusters;
      nothing left to cluster.
  """
  chosen = layer_selection.chosen_layers(model, selection)
  layers = [l for l in model.layers if l.weights]
  clusterable = [l.name for l in layers if _clusterable(l)]
  refused = [l for l in chosen if l.name in selection.include_names
             and l.name not in clusterable]
  if refused:
    raise CompressionConfigError(
        "tfmot cannot cluster layer(s) "
        f"{[f'{l.name} ({type(l).__name__})' for l in refused]}; clusterable "
        f"layers: {clusterable}")
  skipped = {l.name: f"tfmot does not cluster {type(l).__name__} layers"
             for l in chosen if l.name not in clusterable}
  selected = [l.name for l in chosen if l.name in clusterable]
  if selection.keep_first_and_last and clusterable:
    for protected in {clusterable[0], clusterable[-1]}:
      if protected in selected:
        selected.remove(protected)
        skipped[protected] = "kept as is: first or last clusterable layer"
  small = [f"{n} ({_kernel(model.get_layer(n)).shape.num_elements()} weights)"
           for n in selected
           if _kernel(model.get_layer(n)) is not None and
           _kernel(model.get_layer(n)).shape.num_elements() < number_of_clusters]
  if small:
    raise CompressionConfigError(
        f"number_of_clusters {number_of_clusters} exceeds the weights of "
        f"layer(s) {small}; exclude them or use fewer clusters")
  for l in layers:
    if l.name not in selected:
      skipped.setdefault(l.name, "not selected")
  if not selected:
    raise CompressionConfigError(
        f"selection leaves no layer to cluster; clusterable layers: "
        f"{clusterable}")
  return Selection(selected=selected, clusterable=clusterable,
                   skipped=skipped)


def _kernel(layer):
  return getattr(layer, "kernel", None)


def wrap_for_clustering(model, selected: Sequence[str],
                        number_of_clusters: int, centroid_init: CentroidInit,
                        preserve_sparsity: bool = False):
  """A clone of `model` whose `selected` layers are tfmot cluster wrappers.

  With `preserve_sparsity`, zero weights stay zero (tfmot's
  sparsity-preserving clustering: the zeros are masked out of the centroids).

  Unselected layers are the same objects as in `model` (see
  `pruning.wrap_for_pruning`).
  """
  import tensorflow_model_optimization as tfmot  # pylint: disable=g-import-not-at-top
  import tf_keras  # pylint: disable=g-import-not-at-top
  init = getattr(tfmot.clustering.keras.CentroidInitialization,
                 centroid_init.name)
  selected = set(selected)

  def wrap(layer):
    if layer.name not in selected:
      return layer
    return tfmot.clustering.keras.cluster_weights(
        layer, number_of_clusters=number_of_clusters,
        cluster_centroids_init=init, preserve_sparsity=preserve_sparsity)

  try:
    return tf_keras.models.clone_model(model, clone_function=wrap)
  except ValueError as e:
    raise UnsupportedModelError(
        f"tfmot could not wrap model {model.name!r} for clustering: {e}"
    ) from e


def strip(model):
  """Removes the cluster wrappers; kernels keep only their centroid values."""
  import tensorflow_model_optimization as tfmot  # pylint: disable=g-import-not-at-top
  return tfmot.clustering.keras.strip_clustering(model)


def kernel_unique_values(model, layer_names: Sequence[str]) -> Dict[str, int]:
  """Distinct values in the kernel of each of `layer_names`."""
  return {name: int(np.unique(_kernel(model.get_layer(name)).numpy()).size)
          for name in layer_names}


def tflite_kernel_unique_values(model_bytes: bytes) -> Dict[str, int]:
  """Distinct int8 values of each kernel of an integer TFLite model.

  A kernel quantized per tensor (fully connected) has one scale: its
  distinct values are counted over the whole tensor. A kernel quantized per
  output channel (convolutions) has a scale per channel, which maps the same
  centroid to different int8 values in different channels: the count is the
  largest over its channels (axis 0 in TFLite's layout). Either way a kernel
  clustered into k centroids counts at most k.
  """
  from tfx_compression.lib.tflite import inspection  # pylint: disable=g-import-not-at-top
  counts = {}
  for name, values, per_channel in inspection.int8_kernels(model_bytes):
    rows = (values.reshape(values.shape[0], -1) if per_channel
            else values.reshape(1, -1))
    counts[name] = int(max(np.unique(row).size for row in rows))
  return counts
