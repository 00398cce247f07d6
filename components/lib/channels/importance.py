"""How important each output channel of a channel group is (lowest removed first)."""

import numpy as np

from tfx_compression.errors import CompressionConfigError

CRITERIA = ("l1", "l2", "bn_gamma")


def _following_bn(model, producer: str):
  """The BatchNormalization layer that takes `producer`'s output directly."""
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  layer = model.get_layer(producer)
  network = getattr(model, "_network_nodes", set())
  for node in layer._outbound_nodes:  # pylint: disable=protected-access
    nxt = node.layer
    index = nxt._inbound_nodes.index(node)  # pylint: disable=protected-access
    is_bn = type(nxt) is keras.layers.BatchNormalization  # pylint: disable=unidiomatic-typecheck
    if is_bn and f"{nxt.name}_ib-{index}" in network:
      return nxt
  raise CompressionConfigError(
      f"criterion 'bn_gamma' needs a BatchNormalization right after layer "
      f"{producer!r} ({type(layer).__name__}); it has none. Use criterion "
      "'l1' or 'l2'.")


def channel_importance(model, producers, criterion: str) -> np.ndarray:
  """Importance of each output channel, summed over `producers`.

  Args:
    model: the model holding the layers.
    producers: names of Conv2D / Dense layers with the same output channels.
    criterion: "l1" or "l2" norm of each filter (all kernel weights feeding
      one output channel), or "bn_gamma": |gamma| of the BatchNormalization
      right after each producer.

  Returns:
    A float64 array with one value per channel.
  """
  if criterion not in CRITERIA:
    raise CompressionConfigError(
        f"criterion must be one of {list(CRITERIA)}; got {criterion!r}")
  total = None
  for name in producers:
    if criterion == "bn_gamma":
      bn = _following_bn(model, name)
      if not bn.scale:
        raise CompressionConfigError(
            f"criterion 'bn_gamma': BatchNormalization {bn.name!r} after "
            f"{name!r} has scale=False (no gamma). Use criterion 'l1' or 'l2'.")
      score = np.abs(bn.gamma.numpy().astype(np.float64))
    else:
      kernel = model.get_layer(name).get_weights()[0].astype(np.float64)
      filters = kernel.reshape(-1, kernel.shape[-1])
      score = (np.abs(filters).sum(axis=0) if criterion == "l1" else
               np.sqrt(np.square(filters).sum(axis=0)))
    total = score if total is None else total + score
  return total
