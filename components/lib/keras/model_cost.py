"""Parameter and FLOP counts of a built tf_keras model (batch 1).

FLOPs count one multiply-add as 2 FLOPs (FLOPs = 2 * MACs); both are reported.
Only Conv2D, DepthwiseConv2D and Dense layers (and their subclasses) count
multiply-adds: one per kernel weight per output position, so bias additions,
activations, normalisation, pooling and merges count as 0.
"""

import dataclasses
from typing import Mapping, Optional, Sequence, Tuple

import numpy as np

from tfx_compression.lib.keras import tf_setup  # pylint: disable=unused-import


@dataclasses.dataclass(frozen=True)
class LayerCost:
  """The cost of one layer.

  Attributes:
    name: the layer's name.
    type: the layer's class name.
    params: every weight of the layer, trainable or not.
    macs: multiply-adds for one example (0 for layers that do not count).
  """

  name: str
  type: str
  params: int
  macs: int

  @property
  def flops(self) -> int:
    return 2 * self.macs


@dataclasses.dataclass(frozen=True)
class ModelCost:
  """Per-layer and total cost of a model, for one example."""

  layers: Tuple[LayerCost, ...]

  @property
  def params(self) -> int:
    return sum(l.params for l in self.layers)

  @property
  def macs(self) -> int:
    return sum(l.macs for l in self.layers)

  @property
  def flops(self) -> int:
    return 2 * self.macs

  def layer(self, name: str) -> LayerCost:
    return next(l for l in self.layers if l.name == name)


def _counts_macs(layer) -> bool:
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  return isinstance(layer, (keras.layers.Conv2D, keras.layers.DepthwiseConv2D,
                            keras.layers.Dense))


def _output_positions(model, layer) -> int:
  """Output positions per example summed over the layer's calls in `model`."""
  network = getattr(model, "_network_nodes", None)
  total = 0
  for i, node in enumerate(layer.inbound_nodes):
    if network is not None and f"{layer.name}_ib-{i}" not in network:
      continue
    for shape in node.output_shapes if isinstance(
        node.output_shapes, list) else [node.output_shapes]:
      total += int(np.prod([d or 1 for d in tuple(shape)[1:-1]]))
  return total


def cost(model, weight_shapes: Optional[Mapping[str, Sequence[tuple]]] = None
         ) -> ModelCost:
  """Counts params and multiply-adds of every layer of a built model.

  Args:
    model: a built tf_keras model.
    weight_shapes: optional layer name -> shapes of its weights (in
      `layer.weights` order) to count instead of the layer's own, e.g. to
      predict the cost of a model whose channels are about to shrink. Output
      spatial sizes are taken from `model`.

  Returns:
    The ModelCost, layers in model order.
  """
  weight_shapes = weight_shapes or {}
  layers = []
  for layer in model.layers:
    shapes = weight_shapes.get(layer.name)
    if shapes is None:
      shapes = [tuple(w.shape) for w in layer.weights]
    params = sum(int(np.prod(s)) for s in shapes)
    macs = 0
    if _counts_macs(layer) and shapes:
      # The kernel is the first weight of Conv2D, DepthwiseConv2D and Dense.
      macs = int(np.prod(shapes[0])) * _output_positions(model, layer)
    layers.append(LayerCost(layer.name, type(layer).__name__, params, macs))
  return ModelCost(tuple(layers))
