"""Library tests: pruning schedules in steps land on their target."""

import numpy as np
import pytest

from tfx_compression.errors import CompressionConfigError
from tfx_compression.lib.sparsity import pruning_steps
from tfx_compression.lib.sparsity import pruning
from tfx_compression.pruner.config import ConstantSparsity
from tfx_compression.pruner.config import PolynomialDecay


@pytest.mark.parametrize("total", [2, 7, 45, 180, 181, 1_000, 5_000, 250_000])
def test_derived_end_step_is_a_prune_step_before_the_recovery(total):
  steps = pruning_steps.plan(total)
  assert (steps.end_step - steps.begin_step) % steps.frequency == 0
  assert steps.end_step <= total - 1
  assert steps.recovery_steps >= int((total - 1) * 0.3)
  assert 1 <= steps.frequency <= pruning_steps.MAX_FREQUENCY
  if total >= 2 * pruning_steps.MIN_MASK_UPDATES:
    assert steps.mask_updates >= pruning_steps.MIN_MASK_UPDATES


def test_small_and_large_data_defaults():
  # 45 steps an epoch x 2 epochs: a mask update every 4 steps, 16 updates.
  assert pruning_steps.plan(90) == pruning_steps.StepPlan(0, 60, 3, 90)
  # Large data: tfmot's frequency of 100, ramp over 70 % of the steps.
  large = pruning_steps.plan(100_000)
  assert (large.frequency, large.end_step) == (100, 69_900)


@pytest.mark.parametrize("begin, end, freq, total, expected", [
    (0, None, 10, 180, (120, 10)), (0, None, 100, 400, (200, 100)),
    (5, None, 10, 100, (65, 10)), (0, 100, 10, 101, (100, 10)),
    (0, 150, None, 200, (150, 6)), (10, 110, None, 400, (110, 5))])
def test_given_steps_are_kept_and_completed(begin, end, freq, total, expected):
  steps = pruning_steps.plan(total, begin, end, freq)
  assert (steps.end_step, steps.frequency) == expected


def test_steps_outside_fine_tuning_are_refused():
  with pytest.raises(CompressionConfigError,
                     match="schedule.end_step 200 is past the last fine-tuning step 179"):
    pruning_steps.plan(180, 0, 200, 10)
  with pytest.raises(CompressionConfigError, match="begin_step 300 is past"):
    pruning_steps.plan(180, 300)
  with pytest.raises(CompressionConfigError,
                     match="only one prune step .* Lower schedule.frequency"):
    pruning_steps.plan(45, frequency=100)


def test_recovery_fraction_is_validated():
  with pytest.raises(CompressionConfigError,
                     match=r"schedule.recovery_fraction must be in \[0, 1\); got 1.0"):
    PolynomialDecay(recovery_fraction=1.0)


def _final_sparsity(schedule_config, total_steps):
  """Prunes a 64x64 Dense layer for `total_steps` steps with real tfmot."""
  import tensorflow_model_optimization as tfmot  # pylint: disable=g-import-not-at-top
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  keras.utils.set_random_seed(0)
  x = keras.Input((64,))
  model = keras.Model(x, keras.layers.Dense(64, name="d")(x))
  schedule, _ = pruning.tfmot_schedule(schedule_config, total_steps)
  wrapped = pruning.wrap_for_pruning(model, ["d"], schedule)
  wrapped.compile("sgd", "mse")
  data = np.random.RandomState(0).normal(size=(total_steps, 64))
  wrapped.fit(data, data, batch_size=1, epochs=1, verbose=0, shuffle=False,
              callbacks=[tfmot.sparsity.keras.UpdatePruningStep()])
  kernel = pruning.strip(wrapped).get_layer("d").kernel.numpy()
  return float(np.mean(kernel == 0))


@pytest.mark.parametrize("total", [23, 181, 407])
def test_schedule_lands_within_half_a_point_of_target(total):
  assert _final_sparsity(PolynomialDecay(0.5, 0.8), total) == pytest.approx(
      0.8, abs=0.005)
  assert _final_sparsity(ConstantSparsity(0.6), total) == pytest.approx(
      0.6, abs=0.005)
