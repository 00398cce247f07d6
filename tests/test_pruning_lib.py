"""Library tests: layer selection, schedules and sparsity patterns."""

import numpy as np
import pytest

from tfx_compression.errors import CompressionConfigError
from tfx_compression.fine_tuning.config import LayerSelection
from tfx_compression.lib.sparsity import pruning


def test_unknown_layer_name_lists_the_layers(keras_model):
  with pytest.raises(CompressionConfigError) as e:
    pruning.select_layers(keras_model, LayerSelection(include_names=["dense9"]))
  assert "selection.include_names names unknown layer(s) ['dense9']" in str(e.value)
  assert "'conv1'" in str(e.value) and "'probabilities'" in str(e.value)


def test_select_by_type_and_regex(keras_model):
  select = lambda **kw: pruning.select_layers(keras_model,
                                              LayerSelection(**kw)).selected
  assert select() == ["conv1", "conv2", "dense1", "probabilities"]
  assert select(include_types=["Dense"]) == ["dense1", "probabilities"]
  assert select(include_types=["Dense"], exclude_regex="^prob") == ["dense1"]
  assert select(include_regex="conv", keep_first_and_last=True) == ["conv2"]


def _model_with(layer):
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  x = keras.Input((8, 8, 4), name="x")
  y = keras.layers.Conv2D(4, 1, name="conv")(x)
  y = layer(y)
  y = keras.layers.Flatten()(y)
  return keras.Model(x, keras.layers.Dense(2, name="head")(y))


def test_layer_tfmot_cannot_prune_is_skipped_unless_named():
  import tf_keras as keras  # pylint: disable=g-import-not-at-top

  class Scale(keras.layers.Layer):

    def build(self, shape):
      self.scale = self.add_weight("scale", shape=shape[-1:])

    def call(self, x):
      return x * self.scale

  model = _model_with(Scale(name="scale"))
  # Not named: skipped with the reason (compress what can be compressed).
  selection = pruning.select_layers(model, LayerSelection())
  assert selection.selected == ["conv", "head"]
  assert selection.skipped == {
      "scale": "tfmot cannot prune Scale layers (skipped)"}
  # Named by an include rule: an error saying what to change.
  for named in (LayerSelection(include_names=["scale", "conv"]),
                LayerSelection(include_types=["Scale"])):
    with pytest.raises(CompressionConfigError) as e:
      pruning.select_layers(model, named)
    assert "tfmot cannot prune layer(s) ['scale (Scale)']" in str(e.value)
    assert "selection.exclude_names: ['scale']" in str(e.value)
  selection = pruning.select_layers(model,
                                    LayerSelection(exclude_names=["scale"]))
  assert selection.selected == ["conv", "head"]


def test_depthwise_and_batchnorm_are_skipped_with_reason():
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  model = _model_with(keras.Sequential(
      [keras.layers.DepthwiseConv2D(3, padding="same", name="dw")], name="blk"))
  assert pruning.select_layers(model, LayerSelection()).skipped["blk"] == (
      "tfmot cannot prune Sequential layers (skipped)")
  model = _model_with(keras.layers.DepthwiseConv2D(3, name="dw"))
  selection = pruning.select_layers(model, LayerSelection())
  assert selection.skipped == {
      "dw": "tfmot prunes no weight of DepthwiseConv2D layers"}
  with pytest.raises(CompressionConfigError, match=r"\['dw \(DepthwiseConv2D\)'\]"):
    pruning.select_layers(model, LayerSelection(include_names=["dw"]))


def test_m_by_n_needs_input_channels_multiple_of_n(keras_model):
  with pytest.raises(CompressionConfigError) as e:
    pruning.select_layers(keras_model, LayerSelection(), m_by_n=(2, 4))
  assert "conv1 (kernel (3, 3, 1, 16))" in str(e.value)


def test_m_by_n_violations_counts_groups_along_input_channels():
  kernel = np.ones((8, 3), np.float32)  # Dense: 8 inputs, 3 outputs
  kernel[0:2, :] = 0  # first group of 4 inputs: 2 zeros for every output
  kernel[4, 0] = 0  # second group: 1 zero for output 0 only
  kernel[4:6, 1:] = 0
  assert pruning.m_by_n_violations(kernel, (2, 4)) == 1


def test_block_sparsity_zeroes_whole_blocks():
  import tensorflow_model_optimization as tfmot  # pylint: disable=g-import-not-at-top
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  keras.utils.set_random_seed(0)
  model = keras.Sequential([keras.Input((16,), name="x"),
                            keras.layers.Dense(8, name="d")])
  wrapped = pruning.wrap_for_pruning(
      model, ["d"], tfmot.sparsity.keras.ConstantSparsity(0.5, 0, frequency=1),
      block_size=(1, 4))
  wrapped.compile(optimizer="sgd", loss="mse")
  x, y = np.random.rand(64, 16), np.random.rand(64, 8)
  wrapped.fit(x, y, batch_size=16, epochs=1, verbose=0,
              callbacks=[tfmot.sparsity.keras.UpdatePruningStep()])
  kernel = pruning.strip(wrapped).get_layer("d").kernel.numpy()
  zeros_per_block = np.sum(kernel.reshape(16, 2, 4) == 0, axis=-1)
  assert set(np.unique(zeros_per_block)) == {0, 4}
  assert np.mean(kernel == 0) == 0.5
