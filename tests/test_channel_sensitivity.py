"""Library tests: sensitivity scan and automatic per-layer channel ratios."""

import dataclasses
import functools
import json
import re

import numpy as np
import pytest

import channel_models
from tfx_compression.errors import CompressionConfigError
from tfx_compression.lib.channels import sensitivity as channel_sensitivity
from tfx_compression.lib.channels import surgery
from tfx_compression.lib.keras import model_cost
from tfx_compression.lib.keras import tf_setup

RATIOS = (0.1, 0.25, 0.3, 0.5, 0.75)  # 0.3 repeats 0.25's channel count


@pytest.fixture(scope="module")
def digits():
  """load_digits scaled to [0, 1]: (train x, train y, eval x, eval y)."""
  from sklearn import datasets  # pylint: disable=g-import-not-at-top
  data = datasets.load_digits()
  x, y = (data.data / 16.0).astype(np.float32), data.target.astype(np.int64)
  return x[:1300], y[:1300], x[1300:], y[1300:]


def _fake_latency(model) -> float:
  """Deterministic "latency": 1 µs per kFLOP."""
  return model_cost.cost(model).flops / 1000.0


@functools.lru_cache(maxsize=None)
def _built(factory):
  return factory()


@pytest.fixture(scope="module")
def cnn_result(digits):
  """The untrained plain CNN, scanned at RATIOS without latency."""
  model = _built(channel_models.plain_cnn)
  _, _, x, y = digits
  return model, channel_sensitivity.sensitivity(
      model, {"image": x[:200]}, y[:200], candidate_ratios=RATIOS)


@pytest.fixture(scope="module")
def mlp_result(digits):
  """A trained MLP whose dense2 has 32 of its 64 units zeroed (useless)."""
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  tf_setup.skip_autograph_for_keras()
  x, y, x_eval, y_eval = digits
  model = channel_models.mlp()
  # Zero units get no gradient through ReLU (relu'(0) = 0): they stay zero.
  kernel, bias = model.get_layer("dense2").get_weights()
  kernel[:, 1::2], bias[1::2] = 0.0, 0.0
  model.get_layer("dense2").set_weights([kernel, bias])
  model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy")
  model.fit({"image": x}, y, batch_size=64, epochs=2, verbose=0)
  assert not model.get_layer("dense2").get_weights()[0][:, 1::2].any()
  return model, channel_sensitivity.sensitivity(
      model, {"image": x_eval}, y_eval, latency_fn=_fake_latency)


def _points(result, producer):
  return next(c for c in result.curves if producer in c.producers).points


def test_curves_have_one_point_per_effective_ratio(cnn_result):
  _, result = cnn_result
  got = {c.producers: [(p.ratio, p.channels_after) for p in c.points]
         for c in result.curves}
  assert got == {
      ("conv1",): [(0.25, 6), (0.5, 4), (0.75, 2)],  # 0.1 removes nothing
      ("conv2",): [(0.1, 11), (0.25, 9), (0.5, 6), (0.75, 3)],
      ("dense1",): [(0.1, 15), (0.25, 12), (0.5, 8), (0.75, 4)],
  }
  assert [w for w in result.warnings if "probabilities" in w]
  assert result.base_latency is None and result.examples == 200
  saved = json.loads(json.dumps(dataclasses.asdict(result), allow_nan=False))
  assert saved["curves"][0]["points"][0]["channels_after"] == 6


def test_points_match_masked_and_rebuilt_model(cnn_result, digits):
  model, result = cnn_result
  _, _, x, y = digits
  point = _points(result, "conv2")[2]
  plan = surgery.plan(model, {"conv2": point.ratio})
  probs = surgery.mask_removed(model, plan)(x[:200]).numpy()
  assert point.accuracy == pytest.approx(np.mean(probs.argmax(-1) == y[:200]))
  loss = -np.log(np.clip(probs[np.arange(200), y[:200]], 1e-7, 1)).mean()
  assert point.loss == pytest.approx(loss, rel=1e-5)
  smaller = surgery.apply(model, plan)
  np.testing.assert_allclose(smaller(x[:200]).numpy(), probs, atol=1e-5)
  assert point.flops == model_cost.cost(smaller).flops < result.base_flops
  base = model(x[:200]).numpy()
  assert result.base_accuracy == pytest.approx(
      np.mean(base.argmax(-1) == y[:200]))


def test_pruning_a_trained_model_hurts_most_at_largest_ratio(mlp_result):
  _, result = mlp_result
  assert result.base_accuracy > 0.8
  dense1 = _points(result, "dense1")
  assert [p.ratio for p in dense1] == [0.25, 0.5, 0.75]
  assert dense1[-1].accuracy < result.base_accuracy
  assert dense1[-1].loss > dense1[0].loss > result.base_loss
  assert dense1[-1].latency == pytest.approx(dense1[-1].flops / 1000.0)
  # dense2's zeroed units go first and change nothing.
  dense2 = _points(result, "dense2")
  assert [(p.accuracy, p.loss) for p in dense2[:2]] == [
      pytest.approx((result.base_accuracy, result.base_loss))] * 2
  assert dense2[-1].loss > result.base_loss


def test_useless_group_is_chosen_first(mlp_result):
  model, result = mlp_result
  choice = channel_sensitivity.choose_ratios(model, result, "flops", 0.5)
  assert [(s.producers, s.ratio) for s in choice.steps[:2]] == [
      (("dense2",), 0.25), (("dense2",), 0.5)]
  assert [s.accuracy_drop for s in choice.steps[:2]] == [0.0, 0.0]
  assert len(choice.steps) > 2


@pytest.mark.parametrize("factory,keep,tied", [
    (channel_models.plain_cnn, 0.6, ()), (channel_models.plain_cnn, 0.3, ()),
    # Below ~0.33 the residual-tied stem / projection convs must shrink too.
    (channel_models.mobilenet_like, 0.3, ("stem_conv", "block1_project_conv")),
])
def test_chosen_ratios_meet_the_flops_target(factory, keep, tied, digits):
  model = _built(factory)
  _, _, x, y = digits
  result = channel_sensitivity.sensitivity(model, {"image": x[:100]}, y[:100])
  choice = channel_sensitivity.choose_ratios(model, result, "flops", keep)
  plan = surgery.plan(model, choice.ratios)
  smaller = surgery.apply(model, plan)
  flops = model_cost.cost(smaller).flops
  assert flops == plan.flops_after <= keep * model_cost.cost(model).flops
  assert choice.predicted_cost_fraction == pytest.approx(
      plan.flops_after / plan.flops_before)
  # One ratio per group, given to every producer of a chosen group.
  for group in plan.pruned:
    assert {choice.ratios[p] for p in group.producers} == {group.ratio}
  assert len(plan.pruned) == len({s.producers for s in choice.steps})
  assert choice.steps[-1].cost_fraction == choice.predicted_cost_fraction
  assert len(choice.steps) == 1 or choice.steps[-2].cost_fraction > keep
  if tied:
    assert plan.group_of(tied[0]).producers == tied
    assert choice.ratios[tied[0]] == choice.ratios[tied[1]] > 0


def test_keep_fraction_one_chooses_nothing(mlp_result):
  model, result = mlp_result
  for target in channel_sensitivity.TARGETS:
    choice = channel_sensitivity.choose_ratios(model, result, target, 1.0)
    assert (choice.ratios, choice.steps) == ({}, ())
    assert choice.predicted_accuracy_drop == 0.0
    assert choice.predicted_cost_fraction == 1.0


def test_unreachable_target_names_the_best_fraction(mlp_result):
  model, result = mlp_result
  best = surgery.plan(model, 0.75).flops_after / result.base_flops
  with pytest.raises(CompressionConfigError, match=re.escape(
      f"keep_fraction 0.1 cannot be reached for target 'flops': with every "
      f"analysed group at its largest candidate ratio the flops fraction is "
      f"{best:.3f}; ask for keep_fraction >= {best:.3f}")):
    channel_sensitivity.choose_ratios(model, result, "flops", 0.1)


def test_latency_target_uses_additive_prediction(mlp_result):
  model, result = mlp_result
  choice = channel_sensitivity.choose_ratios(model, result, "latency", 0.7)
  base = result.base_latency
  saved = 0.0
  for curve in result.curves:
    ratio = choice.ratios.get(curve.producers[0])
    if ratio:
      saved += base - next(p.latency for p in curve.points if p.ratio == ratio)
  assert choice.predicted_cost_fraction == pytest.approx((base - saved) / base)
  assert choice.predicted_cost_fraction <= 0.7
  # Latency proportional to FLOPs, but savings overlap: the real is higher.
  real = surgery.plan(model, choice.ratios)
  assert real.flops_after / real.flops_before > choice.predicted_cost_fraction


def test_latency_target_without_latency_measurements_raises(cnn_result):
  model, result = cnn_result
  with pytest.raises(CompressionConfigError, match=re.escape(
      "target 'latency' needs latency measurements; the sensitivity result "
      "has none (base_latency=None): run sensitivity with latency_fn")):
    channel_sensitivity.choose_ratios(model, result, "latency", 0.5)


@pytest.mark.parametrize("kwargs,message", [
    ({"keep_fraction": 0.0},
     "keep_fraction must be a number in (0, 1]; got 0.0"),
    ({"keep_fraction": 1.5}, "(0, 1]; got 1.5"),
    ({"keep_fraction": "0.5"}, "(0, 1]; got '0.5'"),
    ({"target": "params"},
     "target must be one of ['flops', 'latency']; got 'params'"),
])
def test_bad_choice_arguments_raise(kwargs, message, cnn_result):
  model, result = cnn_result
  args = dict({"target": "flops", "keep_fraction": 0.5}, **kwargs)
  with pytest.raises(CompressionConfigError, match=re.escape(message)):
    channel_sensitivity.choose_ratios(model, result, **args)


@pytest.mark.parametrize("kwargs,message", [
    ({"candidate_ratios": ()}, "candidate_ratios must be a non-empty, strictly "
     "increasing sequence of numbers in (0, 1); got ()"),
    ({"candidate_ratios": (0.5, 0.25)}, "got (0.5, 0.25)"),
    ({"candidate_ratios": (0.25, 0.25)}, "got (0.25, 0.25)"),
    ({"candidate_ratios": (0.0, 0.5)}, "got (0.0, 0.5)"),
    ({"candidate_ratios": (0.5, 1.0)}, "got (0.5, 1.0)"),
    ({"candidate_ratios": 0.5}, "got 0.5"),
    ({"producers": ["nope"]}, "producers names unknown layer(s) ['nope']"),
    ({"producers": ["bn1"]}, "producers names non-producer layer(s) ['bn1']"),
    ({"producers": ["probabilities"], "unsupported": "error"},
     "channel group of ['probabilities'] not analysed"),
    ({"unsupported": "ignore"},
     "unsupported must be one of ['error', 'skip']; got 'ignore'"),
    ({"labels": np.zeros(3, np.int64)}, "labels must be a non-empty 1-D array "
     "of class indices, one per example; got dtype int64, shape (3,) for "
     "inputs {'image': 4}"),
    ({"labels": np.full(4, -1)}, "got dtype int64, shape (4,)"),
    ({"labels": np.zeros(4, np.float32)}, "got dtype float32, shape (4,)"),
])
def test_bad_sensitivity_arguments_raise(kwargs, message, digits):
  _, _, x, y = digits
  args = dict({"inputs": {"image": x[:4]}, "labels": y[:4]}, **kwargs)
  with pytest.raises(CompressionConfigError, match=re.escape(message)):
    channel_sensitivity.sensitivity(_built(channel_models.plain_cnn), **args)


def test_producers_limit_the_scan_to_the_selected_groups(digits):
  model = _built(channel_models.mobilenet_like)
  _, _, x, y = digits
  result = channel_sensitivity.sensitivity(
      model, {"image": x[:50]}, y[:50], candidate_ratios=(0.5,),
      producers=["block1_project_conv", "block2_expand_conv"])
  assert [c.producers for c in result.curves] == [
      ("stem_conv", "block1_project_conv"), ("block2_expand_conv",)]
  choice = channel_sensitivity.choose_ratios(model, result, "flops", 0.9)
  assert set(choice.ratios) <= {"stem_conv", "block1_project_conv",
                                "block2_expand_conv"}
