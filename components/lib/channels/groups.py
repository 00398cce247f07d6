"""Channel groups of a functional tf_keras model, for channel pruning.

A *channel space* is the last axis of a Conv2D / Dense output. Channel-wise
layers (BatchNormalization, ReLU, pooling, padding, depthwise convolution...)
carry a space through unchanged; element-wise merges (Add, Multiply...) tie the
spaces of their inputs into one; Concatenate lays spaces side by side; Flatten
repeats a space once per spatial position. Union-find over the spaces gives the
*groups*: output channels of one or more producers that must be removed
together, with every layer that must shrink in step.

A group stays whole (it is not prunable) when it reaches a model output, a
layer this module does not understand, or the model input.
"""

import dataclasses
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from tfx_compression.errors import CompressionConfigError
from tfx_compression.errors import UnsupportedModelError
from tfx_compression.lib.keras import tf_setup  # pylint: disable=unused-import

TIED_TOGETHER = "together"  # tied producers are pruned as one unit
TIED_WHOLE = "whole"  # groups with several producers stay whole
TIED_OPTIONS = (TIED_TOGETHER, TIED_WHOLE)

# Why a group stays whole.
REASON_OUTPUT = "output"  # its channels reach a model output
REASON_UNSUPPORTED = "unsupported"  # a layer or topology is not understood
REASON_INPUT = "input"  # tied to the model input
REASON_TIED = "tied"  # several producers and tied="whole"
REASON_ACTIVATION = "activation"  # the producer's activation mixes channels
TOPOLOGY_REASONS = frozenset({REASON_UNSUPPORTED, REASON_INPUT})

_PRODUCER, _PASS, _ELEMENTWISE, _MERGE, _CONCAT, _FLATTEN = range(6)


@dataclasses.dataclass(frozen=True)
class Channels:
  """How the last axis of a tensor is made of channel spaces.

  Attributes:
    segments: (space id, length) pairs laid side by side along the last axis.
    spatial: positions per channel after Flatten; the flat index is
      position * width + channel. 1 for unflattened tensors.
  """

  segments: Tuple[Tuple[int, int], ...]
  spatial: int = 1

  @property
  def width(self) -> int:
    return sum(length for _, length in self.segments)


@dataclasses.dataclass(frozen=True)
class ChannelGroup:
  """Output channels of `producers` that are removed together.

  Attributes:
    producers: Conv2D / Dense layers whose filters / units the group holds.
    members: every layer whose weights or tensors change when the group
      shrinks (producers included), in model order.
    channels: the number of channels of the group.
    reasons: why the group must stay whole; empty when it is prunable.
    reason_kinds: the REASON_* kinds of `reasons`.
  """

  producers: Tuple[str, ...]
  members: Tuple[str, ...]
  channels: int
  reasons: Tuple[str, ...] = ()
  reason_kinds: frozenset = frozenset()

  @property
  def prunable(self) -> bool:
    return not self.reasons

  @property
  def tied(self) -> bool:
    return len(self.producers) > 1


@dataclasses.dataclass(frozen=True)
class Topology:
  """The channel groups of a model and the channel layout of layer tensors.

  Attributes:
    groups: the groups, ordered by their first producer in the model.
    layer_inputs: channel layout of the input of each understood layer with
      one input tensor (Conv2D, Dense, BatchNormalization, ...).
    layer_outputs: channel layout of each single-output layer's output.
    space_group: space id -> index in `groups` (spaces with no producer absent).
  """

  groups: Tuple[ChannelGroup, ...]
  layer_inputs: Mapping[str, Channels]
  layer_outputs: Mapping[str, Channels]
  space_group: Mapping[int, int]

  def group_of(self, producer: str) -> Optional[ChannelGroup]:
    """The group holding the output channels of layer `producer`, if any."""
    for group in self.groups:
      if producer in group.producers:
        return group
    return None

  def kept_index(self, channels: Channels,
                 keep: Mapping[int, Sequence[int]]) -> Optional[np.ndarray]:
    """Indices along a tensor's last axis that survive, or None if all do.

    Args:
      channels: the tensor's layout (from layer_inputs / layer_outputs).
      keep: group index -> kept channel indices of that group.
    """
    parts, offset, changed = [], 0, False
    for space, length in channels.segments:
      kept = keep.get(self.space_group.get(space, -1))
      if kept is None:
        kept = np.arange(length)
      else:
        changed = changed or len(kept) != length
      parts.append(offset + np.asarray(kept, dtype=np.int64))
      offset += length
    if not changed:
      return None
    index = np.concatenate(parts) if parts else np.zeros(0, np.int64)
    positions = np.arange(channels.spatial)[:, None] * offset
    return (positions + index[None, :]).reshape(-1)


def _layer_kinds():
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  l = keras.layers
  kinds = {l.Conv2D: _PRODUCER, l.Dense: _PRODUCER, l.Concatenate: _CONCAT,
           l.Flatten: _FLATTEN}
  for cls in (l.BatchNormalization, l.DepthwiseConv2D, l.ZeroPadding2D,
              l.MaxPooling2D, l.AveragePooling2D, l.GlobalAveragePooling2D,
              l.GlobalMaxPooling2D, l.UpSampling2D, l.Cropping2D):
    kinds[cls] = _PASS
  for cls in (l.Activation, l.ReLU, l.LeakyReLU, l.ELU, l.Dropout):
    kinds[cls] = _ELEMENTWISE
  for cls in (l.Add, l.Multiply, l.Subtract, l.Average, l.Maximum,
              l.Minimum):
    kinds[cls] = _MERGE
  return kinds


def producers(model) -> List[str]:
  """Names of `model`'s layers that produce channels (Conv2D, Dense), in order."""
  kinds = _layer_kinds()
  return [l.name for l in model.layers if kinds.get(type(l)) == _PRODUCER]


def _describe(layer) -> str:
  return f"{layer.name!r} ({type(layer).__name__})"


def _mixing_activation(layer) -> Optional[str]:
  """The layer's activation unless it is a built-in acting on each value."""
  activation = layer.get_config().get("activation", "linear")
  if isinstance(activation, str):
    return None if "softmax" not in activation else repr(activation)
  function = getattr(layer, "activation", None)
  return f"custom {getattr(function, '__name__', type(function).__name__)!r}"


def _refusal(layer, kind, rank: int) -> Optional[str]:
  """Why a layer of a known class is still not understood, or None."""
  config = layer.get_config()
  if config.get("data_format", "channels_last") != "channels_last":
    return f"data_format {config['data_format']!r}"
  if kind != _PRODUCER and _mixing_activation(layer):
    return f"activation {_mixing_activation(layer)} may mix channels"
  if kind == _PRODUCER and config.get("groups", 1) != 1:
    return f"groups={config['groups']}"
  if config.get("depth_multiplier", 1) != 1:
    return f"depth_multiplier={config['depth_multiplier']}"
  axis = config.get("axis")
  if type(layer).__name__ == "BatchNormalization":
    axes = axis if isinstance(axis, (list, tuple)) else [axis]
    if [a % rank for a in axes] != [rank - 1]:
      return f"axis={axis}"
  if kind == _CONCAT and axis % rank != rank - 1:
    return f"concatenation on axis {axis}, not the channel axis"
  return None


class _Spaces:
  """Union-find over channel spaces, with what each space touches."""

  def __init__(self):
    self.parent: List[int] = []
    self.length: List[int] = []
    self.producer: Dict[int, str] = {}
    self.reasons: Dict[int, List[Tuple[str, str]]] = {}
    self.touched: Dict[int, List[str]] = {}

  def new(self, length: int, producer: Optional[str] = None) -> Channels:
    space = len(self.parent)
    self.parent.append(space)
    self.length.append(int(length or 0))
    if producer:
      self.producer[space] = producer
    return Channels(((space, int(length or 0)),))

  def find(self, space: int) -> int:
    while self.parent[space] != space:
      self.parent[space] = self.parent[self.parent[space]]
      space = self.parent[space]
    return space

  def union(self, a: int, b: int):
    self.parent[self.find(a)] = self.find(b)

  def fix(self, channels: Channels, kind: str, text: str):
    for space, _ in channels.segments:
      self.reasons.setdefault(space, []).append((kind, text))

  def touch(self, channels: Channels, layer_name: str):
    for space, _ in channels.segments:
      self.touched.setdefault(space, []).append(layer_name)


def _model_nodes(model):
  """The model's nodes, each after the nodes it depends on."""
  by_depth = getattr(model, "_nodes_by_depth", None)
  if by_depth is None:
    raise UnsupportedModelError(
        f"model {model.name!r} is not a functional tf_keras model; channel "
        "pruning needs the layer graph (build it with keras.Model(inputs, "
        "outputs) or a Sequential with an input shape)")
  return [node for depth in sorted(by_depth, reverse=True)
          for node in by_depth[depth]]


def _key(tensor):
  history = tensor._keras_history  # pylint: disable=protected-access
  return history.layer.name, history.node_index, history.tensor_index


def _flat_outputs(node):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  return tf.nest.flatten(node.outputs)


def analyze(model, tied: str = TIED_TOGETHER) -> Topology:
  """Finds the channel groups of a functional tf_keras model.

  Args:
    model: a built functional (or Sequential) tf_keras model.
    tied: TIED_TOGETHER prunes groups with several producers (e.g. the convs
      around a residual Add) as one unit; TIED_WHOLE leaves them whole.

  Returns:
    The Topology.

  Raises:
    CompressionConfigError: `tied` is not one of TIED_OPTIONS.
    UnsupportedModelError: `model` is not a functional model.
  """
  if tied not in TIED_OPTIONS:
    raise CompressionConfigError(
        f"tied must be one of {list(TIED_OPTIONS)}; got {tied!r}")
  kinds = _layer_kinds()
  nodes = _model_nodes(model)
  calls: Dict[str, int] = {}
  for node in nodes:
    calls[node.layer.name] = calls.get(node.layer.name, 0) + 1
  spaces = _Spaces()
  tensors: Dict[tuple, Channels] = {}
  layer_inputs: Dict[str, Channels] = {}
  layer_outputs: Dict[str, Channels] = {}

  for node in nodes:
    layer = node.layer
    outputs = _flat_outputs(node)
    if node.is_input or type(layer).__name__ == "InputLayer":
      for t in outputs:
        tensors[_key(t)] = spaces.new(t.shape[-1] if t.shape.rank else 0)
        spaces.fix(tensors[_key(t)], REASON_INPUT,
                   f"originates from the model input {layer.name!r}")
      continue
    ins = [tensors[_key(t)] for t in node.keras_inputs]
    for channels in ins:
      spaces.touch(channels, layer.name)
    out = _follow(layer, node, ins, kinds.get(type(layer)), calls, spaces)
    if out is None:
      out = []
      for t in outputs:
        out.append(spaces.new(t.shape[-1] if t.shape.rank else 0))
        spaces.fix(out[-1], REASON_UNSUPPORTED,
                   f"is tied to the output of layer {_describe(layer)}, "
                   "which channel pruning does not understand")
    else:
      layer_outputs[layer.name] = out
      if len(ins) == 1:
        layer_inputs[layer.name] = ins[0]
      out = [out]
    for t, channels in zip(outputs, out):
      tensors[_key(t)] = channels

  for t in model.outputs:
    spaces.fix(tensors[_key(t)], REASON_OUTPUT,
               f"reaches the model output {_key(t)[0]!r}")
  return _topology(model, spaces, layer_inputs, layer_outputs, tied)


def _follow(layer, node, ins, kind, calls, spaces) -> Optional[Channels]:
  """The layout of `layer`'s output, or None after refusing the layer."""
  rank = node.keras_inputs[0].shape.rank if node.keras_inputs else 0
  problem = None
  if kind is None:
    problem = "channel pruning does not understand this layer type"
  elif calls[layer.name] > 1:
    problem = "it is called more than once (shared weights)"
  else:
    problem = _refusal(layer, kind, rank or 1)
  if problem is None and kind != _ELEMENTWISE and kind not in (
      _MERGE, _PRODUCER) and any(c.spatial > 1 for c in ins):
    problem = "it follows a Flatten"
  if problem is None and kind in (_MERGE, _CONCAT) and len(ins) < 2:
    problem = "it has a single input"
  if problem is None and kind == _MERGE and len(
      {tuple(l for _, l in c.segments) + (c.spatial,) for c in ins}) > 1:
    problem = "its inputs' channels do not line up"
  if problem is None and kind not in (_MERGE, _CONCAT) and len(ins) != 1:
    problem = f"it has {len(ins)} inputs"
  if problem is not None:
    for channels in ins:
      spaces.fix(channels, REASON_UNSUPPORTED,
                 f"reaches layer {_describe(layer)}: {problem}")
    return None
  if kind == _PRODUCER:
    out = spaces.new(_flat_outputs(node)[0].shape[-1], producer=layer.name)
    activation = _mixing_activation(layer)
    if activation:
      spaces.fix(out, REASON_ACTIVATION,
                 f"layer {_describe(layer)} applies activation {activation}, "
                 "which may mix its output channels")
    return out
  if kind == _MERGE:
    for other in ins[1:]:
      for (a, _), (b, _) in zip(ins[0].segments, other.segments):
        spaces.union(a, b)
    return ins[0]
  if kind == _CONCAT:
    return Channels(tuple(s for c in ins for s in c.segments))
  if kind == _FLATTEN:
    shape = node.keras_inputs[0].shape
    return Channels(ins[0].segments,
                    int(np.prod(shape[1:-1])) if shape.rank > 2 else 1)
  return ins[0]


def _topology(model, spaces, layer_inputs, layer_outputs, tied) -> Topology:
  order = {layer.name: i for i, layer in enumerate(model.layers)}
  classes: Dict[int, List[int]] = {}
  for space in range(len(spaces.parent)):
    classes.setdefault(spaces.find(space), []).append(space)
  found = []
  for members in classes.values():
    producers = sorted({spaces.producer[s] for s in members
                        if s in spaces.producer}, key=order.get)
    if not producers:
      continue
    touched = set(producers)
    reasons: Dict[str, str] = {}
    for s in members:
      touched.update(spaces.touched.get(s, []))
      for kind, text in spaces.reasons.get(s, []):
        reasons.setdefault(text, kind)
    if tied == TIED_WHOLE and len(producers) > 1:
      reasons[f"ties producers {producers} (e.g. a residual Add); "
              "tied='whole' keeps such groups whole"] = REASON_TIED
    found.append((members, ChannelGroup(
        producers=tuple(producers),
        members=tuple(sorted(touched, key=order.get)),
        channels=spaces.length[members[0]],
        reasons=tuple(reasons), reason_kinds=frozenset(reasons.values()))))
  found.sort(key=lambda f: order[f[1].producers[0]])
  space_group = {s: i for i, (members, _) in enumerate(found) for s in members}
  return Topology(groups=tuple(g for _, g in found), layer_inputs=layer_inputs,
                  layer_outputs=layer_outputs, space_group=space_group)
