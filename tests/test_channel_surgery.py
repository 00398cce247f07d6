"""Library tests: channel groups, structured channel pruning, model cost."""

import functools

import numpy as np
import pytest

import channel_models
from tfx_compression.errors import CompressionConfigError
from tfx_compression.errors import UnsupportedModelError
from tfx_compression.lib.channels import groups as channel_groups
from tfx_compression.lib.channels import surgery
from tfx_compression.lib.keras import model_cost
from tfx_compression.lib.keras import tf_setup


@pytest.fixture(scope="module")
def digits():
  """200 real digits images, 64 floats in [0, 1]."""
  from sklearn import datasets  # pylint: disable=g-import-not-at-top
  return (datasets.load_digits().data[:200] / 16.0).astype(np.float32)


@functools.lru_cache(maxsize=None)
def _built(factory):
  """One instance per factory: plan, apply and mask_removed leave it as is."""
  return factory()


def _size_keys(config):
  return {k: v for k, v in config.items() if k not in ("filters", "units")}


def _prune(model, ratios, **kw):
  plan = surgery.plan(model, ratios, **kw)
  return plan, surgery.apply(model, plan)


CASES = [(name, ratio) for name in channel_models.TOPOLOGIES
         for ratio in (0.3, 0.5)]


@pytest.mark.parametrize("name,ratio", CASES)
def test_rebuilt_model_equals_masked_original(name, ratio, digits):
  model = _built(channel_models.TOPOLOGIES[name])
  plan, smaller = _prune(model, ratio)
  masked = surgery.mask_removed(model, plan)
  got, want = smaller(digits).numpy(), masked(digits).numpy()
  np.testing.assert_allclose(got, want, atol=1e-5)
  assert np.abs(got - model(digits).numpy()).max() > 1e-3
  assert plan.pruned and all(
      g.channels_after == g.channels_before - int(ratio * g.channels_before)
      for g in plan.pruned)


@pytest.mark.parametrize("name", list(channel_models.TOPOLOGIES))
def test_rebuilt_model_keeps_names_shapes_and_configs(name):
  model = _built(channel_models.TOPOLOGIES[name])
  plan, smaller = _prune(model, 0.5)
  assert [t.name for t in smaller.inputs] == ["image"]
  assert [tuple(t.shape) for t in smaller.inputs] == [(None, 64)]
  assert smaller.output_names == model.output_names == ["probabilities"]
  assert [tuple(t.shape) for t in smaller.outputs] == [(None, 10)]
  assert [l.name for l in smaller.layers] == [l.name for l in model.layers]
  for old in model.layers:
    new = smaller.get_layer(old.name)
    assert _size_keys(new.get_config()) == _size_keys(old.get_config())
  for group in plan.pruned:
    for producer in group.producers:
      assert smaller.get_layer(producer).get_weights()[0].shape[-1] == (
          group.channels_after)
  assert model.get_layer("probabilities").get_weights()[0].shape[-1] == 10


def test_residual_convs_shrink_together():
  model = _built(channel_models.mobilenet_like)
  plan, smaller = _prune(model, 0.5, tied="together")
  group = plan.group_of("stem_conv")
  assert group.producers == ("stem_conv", "block1_project_conv")
  assert group is plan.group_of("block1_project_conv")
  assert group.channels_before == 8 and len(group.keep) == 4
  assert {"stem_bn", "block1_project_bn", "block1_add", "block1_expand_conv",
          "block2_expand_conv"} <= set(group.members)
  importance = surgery.channel_importance(
      model, group.producers, "l1")
  assert sorted(np.argsort(importance)[4:].tolist()) == list(group.keep)
  for name in ("stem_conv", "block1_project_conv"):
    assert smaller.get_layer(name).get_weights()[0].shape[-1] == 4
  for name in ("stem_bn", "block1_project_bn"):
    np.testing.assert_array_equal(
        smaller.get_layer(name).get_weights()[2],
        model.get_layer(name).get_weights()[2][list(group.keep)])
  assert smaller.get_layer("block2_expand_conv").get_weights()[0].shape[2] == 4


def test_residual_convs_stay_whole_with_tied_whole(digits):
  model = _built(channel_models.mobilenet_like)
  plan, smaller = _prune(model, 0.5, tied="whole")
  group = plan.group_of("stem_conv")
  assert not group.pruned and group.keep == tuple(range(8))
  assert any("['stem_conv', 'block1_project_conv']" in w and
             "tied='whole'" in w for w in plan.warnings)
  assert smaller.get_layer("stem_conv").get_weights()[0].shape[-1] == 8
  assert plan.group_of("block1_expand_conv").channels_after == 8
  np.testing.assert_allclose(
      smaller(digits).numpy(),
      surgery.mask_removed(model, plan)(digits).numpy(), atol=1e-5)


def test_depthwise_and_batch_norm_weights_follow_the_kept_channels():
  model = _built(channel_models.mobilenet_like)
  plan, smaller = _prune(model, {"block1_expand_conv": 0.25})
  keep = list(plan.group_of("block1_expand_conv").keep)
  assert len(keep) == 12 and len(plan.pruned) == 1
  old, new = (m.get_layer("block1_depthwise") for m in (model, smaller))
  np.testing.assert_array_equal(new.get_weights()[0],
                                old.get_weights()[0][:, :, keep, :])
  for got, want in zip(smaller.get_layer("block1_depthwise_bn").get_weights(),
                       model.get_layer("block1_depthwise_bn").get_weights()):
    np.testing.assert_array_equal(got, want[keep])
  np.testing.assert_array_equal(
      smaller.get_layer("block1_project_conv").get_weights()[0],
      model.get_layer("block1_project_conv").get_weights()[0][:, :, keep, :])


def test_dense_after_flatten_keeps_the_rows_of_kept_channels():
  model = _built(channel_models.plain_cnn)
  plan, smaller = _prune(model, {"conv2": 0.5})
  keep = list(plan.group_of("conv2").keep)
  rows = model.get_layer("dense1").get_weights()[0].reshape(2, 2, 12, 16)
  np.testing.assert_array_equal(
      smaller.get_layer("dense1").get_weights()[0],
      rows[:, :, keep, :].reshape(-1, 16))


def test_concatenated_branches_shrink_the_following_conv():
  model = _built(channel_models.concat_branches)
  topo = channel_groups.analyze(model)
  assert {"concat", "merge_conv"} <= set(topo.group_of("left_conv").members)
  assert {"concat", "merge_conv"} <= set(topo.group_of("right_conv").members)
  plan, smaller = _prune(model, {"left_conv": 0.5, "right_conv": 0.5})
  left, right = (plan.group_of(n).keep for n in ("left_conv", "right_conv"))
  rows = list(left) + [6 + c for c in right]
  np.testing.assert_array_equal(
      smaller.get_layer("merge_conv").get_weights()[0],
      model.get_layer("merge_conv").get_weights()[0][:, :, rows, :])


def test_groups_of_plain_cnn():
  topo = channel_groups.analyze(_built(channel_models.plain_cnn))
  assert [g.producers for g in topo.groups] == [
      ("conv1",), ("conv2",), ("dense1",), ("probabilities",)]
  conv1 = topo.group_of("conv1")
  assert conv1.prunable and conv1.channels == 8
  assert conv1.members == ("conv1", "bn1", "relu1", "pool1", "conv2")
  head = topo.group_of("probabilities")
  assert not head.prunable
  assert "reaches the model output 'probabilities'" in head.reasons


def test_params_and_flops_drop_and_match_the_rebuilt_model():
  for make in channel_models.TOPOLOGIES.values():
    model = _built(make)
    plan, smaller = _prune(model, 0.5)
    before, after = model_cost.cost(model), model_cost.cost(smaller)
    assert (plan.params_before, plan.flops_before) == (before.params,
                                                       before.flops)
    assert (plan.params_after, plan.flops_after) == (after.params, after.flops)
    assert after.params < before.params and after.flops < before.flops
    assert after.params == smaller.count_params()


def test_model_cost_counts_multiply_adds_as_two_flops():
  model = _built(channel_models.plain_cnn)
  cost = model_cost.cost(model)
  assert cost.layer("conv1").macs == 3 * 3 * 1 * 8 * 8 * 8
  assert cost.layer("conv1").flops == 2 * cost.layer("conv1").macs
  assert cost.layer("conv2").macs == 3 * 3 * 8 * 12 * 2 * 2
  assert cost.layer("dense1").macs == 48 * 16
  assert cost.layer("bn1").macs == 0 and cost.layer("bn1").params == 32
  assert cost.params == model.count_params()
  depthwise = model_cost.cost(_built(channel_models.mobilenet_like))
  assert depthwise.layer("block2_depthwise").macs == 3 * 3 * 16 * 4 * 4


def test_custom_layer_errors_naming_it():
  with pytest.raises(UnsupportedModelError) as e:
    surgery.plan(_built(channel_models.with_custom_layer), 0.5)
  assert "'channel_scale' (ChannelScale)" in str(e.value)
  assert "['conv_a', 'conv_b']" in str(e.value)
  assert "unsupported='skip'" in str(e.value)


def test_custom_layer_group_is_left_whole_with_skip(digits):
  model = _built(channel_models.with_custom_layer)
  plan, smaller = _prune(model, 0.5, unsupported="skip")
  assert not plan.group_of("conv_a").pruned
  assert plan.group_of("conv_c").pruned and plan.group_of("dense1").pruned
  assert any("['conv_a', 'conv_b'] left whole" in w and
             "'channel_scale' (ChannelScale)" in w for w in plan.warnings)
  got = smaller(digits).numpy()
  np.testing.assert_allclose(
      got, surgery.mask_removed(model, plan)(digits).numpy(),
      atol=1e-5)
  assert np.abs(got - model(digits).numpy()).max() > 1e-3


@pytest.mark.parametrize("make_layer,named", [
    (lambda k: k.layers.LayerNormalization(name="odd"),
     "'odd' (LayerNormalization)"),
    (lambda k: k.layers.SeparableConv2D(4, 1, name="odd"),
     "'odd' (SeparableConv2D)"),
    (lambda k: k.layers.Conv2D(4, 1, groups=2, name="odd"),
     "'odd' (Conv2D): groups=2"),
    (lambda k: k.layers.Lambda(lambda t: t * 2.0, name="odd"),
     "'odd' (Lambda)"),
    (lambda k: k.layers.Reshape((4, 16, 4), name="odd"), "'odd' (Reshape)"),
    (lambda k: k.layers.Activation("softmax", name="odd"),
     "'odd' (Activation): activation 'softmax' may mix channels"),
])
def test_unknown_layers_keep_their_group_whole(make_layer, named):
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  model = channel_models.conv_then(lambda: make_layer(keras))
  group = channel_groups.analyze(model).group_of("conv")
  assert not group.prunable and any(named in r for r in group.reasons)
  with pytest.raises(UnsupportedModelError, match=named.replace("(", r"\(")
                     .replace(")", r"\)")):
    surgery.plan(model, {"conv": 0.5})


def test_group_tied_to_the_model_input_stays_whole():
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  model = channel_models.conv_then(lambda: keras.layers.Add(name="odd"),
                                   residual_from_input=True)
  group = channel_groups.analyze(model).group_of("conv")
  assert group.reasons == ("originates from the model input 'x'",)
  with pytest.raises(UnsupportedModelError, match="model input 'x'"):
    surgery.plan(model, 0.5)
  plan = surgery.plan(model, 0.5, unsupported="skip")
  assert not plan.pruned
  assert plan.warnings[0] == (
      "channel group of ['conv'] left whole: originates from the model input "
      "'x'")


@pytest.mark.parametrize("ratios,message", [
    (1.0, "ratios must be in [0, 1); got 1.0"),
    (-0.1, "ratios must be in [0, 1); got -0.1"),
    ("half", "ratios must be a number in [0, 1); got 'half'"),
    ({"conv9": 0.5, "conv1": 0.5},
     "ratios names unknown layer(s) ['conv9']; prunable layers: "
     "['conv1', 'conv2', 'dense1']"),
    ({"bn1": 0.5}, "ratios['bn1']: layer 'bn1' (BatchNormalization) is not a "
     "Conv2D / Dense layer whose output channels can be pruned"),
    ({"probabilities": 0.5}, "layer(s) ['probabilities'] cannot be pruned: "
     "layer 'probabilities' (Dense) applies activation 'softmax', which may "
     "mix its output channels; "
     "reaches the model output 'probabilities'"),
    ({"conv1": 1.0}, "ratios['conv1'] must be in [0, 1); got 1.0: it would "
     "leave 0 of its 8 channels"),
])
def test_bad_ratios_say_what_is_wrong(ratios, message):
  with pytest.raises(CompressionConfigError) as e:
    surgery.plan(_built(channel_models.plain_cnn), ratios)
  assert message in str(e.value)


def test_ratio_never_leaves_a_two_filter_layer_empty():
  model = _built(channel_models.narrow_conv)
  with pytest.raises(CompressionConfigError) as e:
    surgery.plan(model, {"narrow": 1.0})
  assert ("ratios['narrow'] must be in [0, 1); got 1.0: it would leave 0 of "
          "its 2 channels, and at least one channel must stay") in str(e.value)
  plan = surgery.plan(model, {"narrow": 0.99})
  assert plan.group_of("narrow").channels_after == 1


def test_conflicting_ratios_in_a_tied_group_name_the_layers():
  with pytest.raises(CompressionConfigError) as e:
    surgery.plan(_built(channel_models.mobilenet_like),
                         {"stem_conv": 0.5, "block1_project_conv": 0.25})
  assert ("layers ['stem_conv', 'block1_project_conv'] are pruned together"
          in str(e.value))


@pytest.mark.parametrize("option,value,message", [
    ("criterion", "l3", "criterion must be one of ['l1', 'l2', 'bn_gamma']; "
     "got 'l3'"),
    ("tied", "both", "tied must be one of ['together', 'whole']; got 'both'"),
    ("unsupported", "ignore",
     "unsupported must be one of ['error', 'skip']; got 'ignore'"),
])
def test_bad_options_are_refused(option, value, message):
  with pytest.raises(CompressionConfigError) as e:
    surgery.plan(_built(channel_models.plain_cnn), 0.5,
                         **{option: value})
  assert message in str(e.value)


@pytest.mark.parametrize("criterion,keep", [
    ("l1", (0, 1)), ("l2", (1, 3)), ("bn_gamma", (1, 2))])
def test_importance_criteria_choose_the_expected_channels(criterion, keep):
  model = _built(channel_models.hand_set_conv)
  plan = surgery.plan(model, {"conv": 0.5}, criterion=criterion)
  assert plan.group_of("conv").keep == keep


def test_bn_gamma_needs_a_batch_norm_after_the_producer():
  with pytest.raises(CompressionConfigError) as e:
    surgery.plan(_built(channel_models.mlp), 0.5, criterion="bn_gamma")
  assert ("criterion 'bn_gamma' needs a BatchNormalization right after layer "
          "'dense1' (Dense)") in str(e.value)


def test_plan_for_another_model_is_refused():
  plan = surgery.plan(_built(channel_models.plain_cnn), 0.5)
  with pytest.raises(CompressionConfigError, match="plan does not fit"):
    surgery.apply(_built(channel_models.mlp), plan)


def test_rebuilt_cnn_converts_to_tflite(digits):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  tf_setup.skip_autograph_for_keras()  # tracing tf_keras: 30 s -> 4 s
  _, smaller = _prune(_built(channel_models.plain_cnn), 0.5)
  tflite = tf.lite.TFLiteConverter.from_keras_model(smaller).convert()
  runner = tf.lite.Interpreter(model_content=tflite).get_signature_runner()
  got = np.concatenate([runner(image=digits[i:i + 1])["probabilities"]
                        for i in range(20)])
  np.testing.assert_allclose(got, smaller(digits[:20]).numpy(), atol=1e-5)


def test_sequential_model_is_pruned_exactly(digits):
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  keras.utils.set_random_seed(9)
  model = keras.Sequential([
      keras.Input((64,), name="image"),
      keras.layers.Dense(32, activation="relu", name="dense1"),
      keras.layers.BatchNormalization(name="bn"),
      keras.layers.Dense(10, activation="softmax", name="probabilities")])
  channel_models.randomize_batch_norms(model)
  plan, smaller = _prune(model, 0.5, criterion="bn_gamma")
  assert plan.group_of("dense1").channels_after == 16
  np.testing.assert_allclose(
      smaller(digits).numpy(),
      surgery.mask_removed(model, plan)(digits).numpy(), atol=1e-5)
