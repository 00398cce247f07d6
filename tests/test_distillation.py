"""Library tests: the distillation loss, output detection, teacher and trainer."""

import numpy as np
import pytest

from tfx_compression.errors import CompressionConfigError
from tfx_compression.errors import UnsupportedModelError
from tfx_compression.fine_tuning.config import FineTuning
from tfx_compression.lib.training import distillation
from tfx_compression.lib.training import fit_loop

TEACHER = np.array([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]], np.float32)
STUDENT = np.array([[1.0, 1.0, 0.0], [-0.5, 0.4, 1.5]], np.float32)
LABELS = np.array([0, 2])


def _log_softmax(z):
  z = z - z.max(axis=1, keepdims=True)
  return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def _formula(teacher_logits, student_logits, labels, alpha, t):
  """alpha * CE(labels, student) + (1 - alpha) * T^2 * KL(teacher_T || student_T)."""
  hard = -np.mean(_log_softmax(student_logits)[np.arange(len(labels)), labels])
  p, q = _log_softmax(teacher_logits / t), _log_softmax(student_logits / t)
  kl = np.mean(np.sum(np.exp(p) * (p - q), axis=1))
  return alpha * hard + (1 - alpha) * t * t * kl


@pytest.mark.parametrize("alpha, t", [(0.5, 4.0), (0.1, 1.0), (0.9, 10.0)])
def test_distillation_loss_equals_its_formula_for_logits(alpha, t):
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  hard = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(
      LABELS, STUDENT)
  plan = distillation.Plan(alpha, t, distillation.Outputs.LOGITS, "test")
  loss, _ = distillation.combined_loss(hard, TEACHER, STUDENT, plan)
  assert float(loss) == pytest.approx(
      _formula(TEACHER, STUDENT, LABELS, alpha, t), rel=1e-5)


def test_probability_outputs_give_the_same_loss_as_their_logits():
  softmax = lambda z: np.exp(_log_softmax(z))
  plan = distillation.Plan(0.0, 4.0, distillation.Outputs.PROBABILITIES, "t")
  loss, soft = distillation.combined_loss(0.0, softmax(TEACHER),
                                          softmax(STUDENT), plan)
  assert float(loss) == float(soft) == pytest.approx(
      _formula(TEACHER, STUDENT, LABELS, 0.0, 4.0), rel=1e-5)


def test_identical_teacher_and_student_cost_nothing_soft():
  plan = distillation.Plan(0.3, 2.0, distillation.Outputs.LOGITS, "t")
  _, soft = distillation.combined_loss(0.0, TEACHER, TEACHER, plan)
  assert float(soft) == pytest.approx(0.0, abs=1e-6)


def _classifier(activation, loss):
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  x = keras.Input((4,), name="x")
  model = keras.Model(x, keras.layers.Dense(3, activation=activation,
                                            name="out")(x))
  model.compile(optimizer="adam", loss=loss)
  return model


def test_outputs_detected_from_loss_then_last_activation():
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  logits_loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
  detect = distillation.detect_outputs
  assert detect(_classifier(None, logits_loss)) is distillation.Outputs.LOGITS
  assert detect(_classifier("softmax", "sparse_categorical_crossentropy")) \
      is distillation.Outputs.PROBABILITIES
  assert detect(_classifier(None, "sparse_categorical_crossentropy")) \
      is distillation.Outputs.LOGITS
  assert detect(_classifier("relu", "mse")) is distillation.Outputs.VALUES
  with pytest.raises(UnsupportedModelError, match="cannot tell"):
    detect(_classifier("relu", _custom_loss))


def _custom_loss(labels, outputs):
  return outputs - labels


def test_regression_soft_loss_is_the_mean_squared_difference():
  plan = distillation.Plan(0.25, 4.0, distillation.Outputs.VALUES, "t")
  loss, soft = distillation.combined_loss(2.0, TEACHER, STUDENT, plan)
  assert float(soft) == pytest.approx(np.mean((TEACHER - STUDENT) ** 2))
  assert float(loss) == pytest.approx(0.25 * 2.0 + 0.75 * float(soft))


def test_default_alpha_skips_unsupported_models_explicit_alpha_refuses():
  model = _classifier("relu", _custom_loss)
  plan = fit_loop.distillation_plan(model, FineTuning())
  assert not plan.enabled and plan.reason.startswith("off:")
  with pytest.raises(UnsupportedModelError):
    fit_loop.distillation_plan(model, FineTuning(alpha=0.5))
  assert not fit_loop.distillation_plan(model, FineTuning(alpha=1.0)).enabled


@pytest.mark.parametrize("fields, message", [
    ({"alpha": 1.5}, "fine_tuning.alpha must be <= 1.0; got 1.5"),
    ({"alpha": -0.1}, "fine_tuning.alpha must be >= 0.0; got -0.1"),
    ({"alpha": float("nan")}, "fine_tuning.alpha must be a finite number"),
    ({"temperature": 0}, r"fine_tuning.temperature must be in \(0, 100\]; got 0"),
    ({"temperature": float("inf")},
     "fine_tuning.temperature must be a finite number"),
])
def test_distillation_fields_are_validated(fields, message):
  with pytest.raises(CompressionConfigError, match=message):
    FineTuning(**fields)


def test_teacher_is_independent_and_only_the_student_trains():
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  keras.utils.set_random_seed(0)
  model = _classifier("softmax", "sparse_categorical_crossentropy")
  before = [w.copy() for w in model.get_weights()]
  plan = fit_loop.distillation_plan(model, FineTuning())
  teacher = fit_loop.teacher_for(model, plan)
  trained = fit_loop.trainable(model, teacher, plan)  # the model is the student
  fit_loop.compile_like(trained, model, 0.05, 1.0, None)
  x = np.random.RandomState(0).normal(size=(64, 4)).astype(np.float32)
  y = np.random.RandomState(1).randint(0, 3, 64)
  history = trained.fit(x, y, epochs=2, batch_size=16, verbose=0).history
  assert set(history) >= {"loss", "distillation_loss", "accuracy"}
  assert history["distillation_loss"][-1] > 0
  for a, b in zip(teacher.get_weights(), before):
    np.testing.assert_array_equal(a, b)
  assert any(np.abs(a - b).max() > 1e-3
             for a, b in zip(model.get_weights(), before))
