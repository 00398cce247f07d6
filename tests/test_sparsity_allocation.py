"""Sparsity shared among layers by one global magnitude threshold (#27)."""

import json

import numpy as np
import pytest

from model_factories import random_training_data
from model_factories import small_cnn
from tfx_compression.errors import CompressionConfigError
from tfx_compression.lib.sparsity import allocation
from tfx_compression.pruner.config import ConstantSparsity
from tfx_compression.pruner.config import PolynomialDecay
from tfx_compression.pruner.config import PrunerConfig


def _kernels():
  rng = np.random.default_rng(0)
  return {"first": rng.normal(0, 1.0, (3, 3, 3, 16)),  # few, large weights
          "wide": rng.normal(0, 0.05, (1024, 64)),  # many, small weights
          "head": rng.normal(0, 0.5, (64, 10))}


@pytest.mark.parametrize("target", [0.0, 0.5, 0.8, 0.95])
def test_one_threshold_reaches_the_overall_target(target):
  kernels = _kernels()
  sizes = {n: k.size for n, k in kernels.items()}
  ratios = allocation.global_magnitude(kernels, target)
  assert allocation.overall(ratios, sizes) == pytest.approx(target, abs=1e-4)
  if target:  # the small-weight layer loses most, the first layer least
    assert ratios["wide"] > target > ratios["head"] > ratios["first"]


def test_no_layer_is_emptied():
  kernels = {"tiny": np.full((100,), 1e-6), "big": np.ones((100,))}
  ratios = allocation.global_magnitude(kernels, 0.6)
  assert ratios["tiny"] == allocation.MAX_LAYER_SPARSITY
  assert allocation.overall(ratios, {"tiny": 100, "big": 100}) == \
      pytest.approx(0.6, abs=1e-6)
  with pytest.raises(CompressionConfigError, match="at most 0.98"):
    allocation.global_magnitude(kernels, 0.99)


def test_config_names_the_granularity_it_needs():
  with pytest.raises(CompressionConfigError,
                     match="allocation 'global_magnitude' ranks single "
                           "weights: granularity must be 'unstructured'; "
                           "got 'block'"):
    PrunerConfig(allocation="global_magnitude", granularity="block",
                 block_size=(1, 4))
  config = PrunerConfig(allocation="global_magnitude")
  assert PrunerConfig.from_dict(config.to_dict()) == config


@pytest.mark.parametrize("schedule", [
    ConstantSparsity(target_sparsity=0.8),
    PolynomialDecay(initial_sparsity=0.1, final_sparsity=0.8)])
def test_pruner_reaches_the_target_over_its_layers(schedule, tmp_path):
  """Each layer reaches its own target; together they reach the config's."""
  from tfx_compression.fine_tuning.config import FineTuning  # pylint: disable=g-import-not-at-top
  from tfx_compression.pruner import runner  # pylint: disable=g-import-not-at-top
  model = small_cnn()
  model.compile("adam", "sparse_categorical_crossentropy",
                metrics=["accuracy"])
  data = random_training_data(steps_per_epoch=8)
  config = PrunerConfig(
      schedule=schedule, allocation="global_magnitude",
      fine_tuning=FineTuning(epochs=1, steps_per_epoch=8, batch_size=16,
                             alpha=1.0))
  result = runner.prune(model, config, data, str(tmp_path))
  pruned = [l for l in result.layers if l.pruned]
  overall = sum(l.zeros for l in pruned) / sum(l.params for l in pruned)
  assert overall == pytest.approx(0.8, abs=0.005)
  targets = result.layer_targets
  assert set(targets) == {l.name for l in pruned}
  assert len({round(t, 2) for t in targets.values()}) > 1  # not one ratio
  for layer in pruned:  # each at its own target
    assert layer.sparsity == pytest.approx(targets[layer.name], abs=0.01)
  json.dumps(targets)  # recorded as JSON on the artifact and in the report
