"""Knowledge distillation: the input model teaches its compressed copy.

The loss of a distilled fine-tuning step is

  alpha * hard_loss(labels, student) +
  (1 - alpha) * T^2 * KL(softmax(teacher / T) || softmax(student / T))

where `hard_loss` is the model's own compiled loss and teacher / student are
logits (Hinton et al., 2015; T^2 keeps the soft term's gradients at the scale
of the hard term's). Models that output probabilities (a softmax or sigmoid
last layer) are brought back to logits as log(p): softmax(log(p) / T) equals
softmax(logits / T), so the result does not depend on which one the model
outputs. A binary model's one column is the two classes [1 - p, p] (or
logits [0, z]): a two-class KL. A regression model (`task.infer` says which)
has no classes: its soft term is the mean squared difference between the
teacher's and the student's outputs, and T does not apply.

The teacher's predictions are computed on the fly, one batch at a time, in
inference mode: memory grows by one copy of the teacher's weights plus the
activations of one inference batch (for MobileNetV2 alpha 0.35 at 32x32,
batch 32: ~1.6 MB of weights and a few MB of activations); nothing is stored
per example.
"""

import dataclasses
import enum
from typing import Optional

from tfx_compression.errors import UnsupportedModelError

# log(p) of probabilities below this is clipped (float32 softmax reaches 0).
_MIN_PROBABILITY = 1e-12


class Outputs(str, enum.Enum):
  """What the model's single output holds."""

  LOGITS = "logits"
  PROBABILITIES = "probabilities"
  VALUES = "values"  # regression outputs


@dataclasses.dataclass(frozen=True)
class Plan:
  """Whether and how a fine-tuning run distills (recorded in reports)."""

  alpha: float
  temperature: float
  outputs: Optional[Outputs]  # None when distillation is off
  reason: str  # how `outputs` was detected, or why distillation is off

  @property
  def enabled(self) -> bool:
    return self.outputs is not None

  def to_dict(self) -> dict:
    return {"enabled": self.enabled, "alpha": self.alpha,
            "temperature": self.temperature,
            "outputs": self.outputs.value if self.outputs else None,
            "teacher": "the input model" if self.enabled else None,
            "reason": self.reason}


def _loss_from_logits(loss) -> Optional[bool]:
  """`from_logits` of a Keras loss object (None for strings and functions)."""
  get_config = getattr(loss, "get_config", None)
  if get_config is None:
    return None
  value = get_config().get("from_logits")
  return bool(value) if value is not None else None


def detect_outputs(model, loss=None, task=None) -> Outputs:
  """Whether `model`'s single output is logits, probabilities or values.

  `task.from_keras` decides: the compiled loss when it says (a regression
  loss, or `from_logits` of a Keras loss object, e.g. TFX examples'
  `SparseCategoricalCrossentropy(from_logits=True)`), otherwise the last
  layer's activation: softmax or sigmoid means probabilities.

  Raises:
    UnsupportedModelError: several outputs, or a task that cannot be read.
  """
  from tfx_compression.lib.evaluation import task as task_lib  # pylint: disable=g-import-not-at-top
  if len(model.outputs) != 1:
    raise UnsupportedModelError(
        f"distillation needs a single-output model; model {model.name!r} "
        f"has {len(model.outputs)} outputs")
  try:
    found = task_lib.from_keras(model, explicit=task, loss=loss,
                                field="fine_tuning.task")
  except ValueError as e:
    raise UnsupportedModelError(
        f"cannot tell what model {model.name!r} outputs ({e}). Set "
        "fine_tuning.alpha=1.0 to fine-tune without distillation.") from e
  return Outputs(found.scores.value)


def plan(model, alpha: float, temperature: float, explicit: bool,
         loss=None, task=None) -> Plan:
  """Decides whether fine-tuning `model` distills.

  Args:
    model: The input (teacher) model, compiled.
    alpha: Weight of the hard-label loss; 1.0 turns distillation off.
    temperature: The softmax temperature T.
    explicit: The user set alpha; then a model distillation cannot handle is
      an error rather than a reason to fine-tune without it.
    loss: The loss used for fine-tuning (default: the model's).
    task: The user's `fine_tuning.task`, if set.

  Raises:
    UnsupportedModelError: `explicit` and the model is not a single-output
      classifier whose outputs can be read as logits.
  """
  if alpha >= 1.0:
    return Plan(alpha, temperature, None, "alpha 1.0: hard labels only")
  try:
    outputs = detect_outputs(model, loss, task)
  except UnsupportedModelError as e:
    if explicit:
      raise
    return Plan(1.0, temperature, None, f"off: {e}")
  how = ("the compiled loss" if _loss_from_logits(
      loss if loss is not None else getattr(model, "loss", None)) is not None
         or outputs is Outputs.VALUES else "the last layer's activation")
  return Plan(alpha, temperature, outputs, f"{outputs.value}, from {how}")


def as_logits(outputs, kind: Outputs):
  """Class logits (up to a per-example constant) of a batch of outputs.

  A single sigmoid/logit column becomes two classes [0, z] (or [log(1-p),
  log(p)]).
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  outputs = tf.cast(outputs, tf.float32)
  binary = outputs.shape[-1] == 1
  if kind is Outputs.LOGITS:
    return tf.concat([tf.zeros_like(outputs), outputs], -1) if binary else outputs
  if binary:
    outputs = tf.concat([1.0 - outputs, outputs], -1)
  return tf.math.log(tf.clip_by_value(outputs, _MIN_PROBABILITY, 1.0))


def soft_loss(teacher_outputs, student_outputs, kind: Outputs,
              temperature: float):
  """T^2 x mean over the batch of KL(teacher_T || student_T).

  Regression outputs (`Outputs.VALUES`): the mean squared difference.
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  if kind is Outputs.VALUES:
    return tf.reduce_mean(tf.math.squared_difference(
        tf.cast(teacher_outputs, tf.float32),
        tf.cast(student_outputs, tf.float32)))
  t = tf.nn.log_softmax(as_logits(teacher_outputs, kind) / temperature)
  s = tf.nn.log_softmax(as_logits(student_outputs, kind) / temperature)
  kl = tf.reduce_sum(tf.exp(t) * (t - s), axis=-1)
  return temperature ** 2 * tf.reduce_mean(kl)


def combined_loss(hard, teacher_outputs, student_outputs, plan_: Plan):
  """alpha x hard + (1 - alpha) x soft_loss: the distilled fine-tuning loss."""
  soft = soft_loss(teacher_outputs, student_outputs, plan_.outputs,
                   plan_.temperature)
  return plan_.alpha * hard + (1.0 - plan_.alpha) * soft, soft


def teacher_copy(model, check_inputs=None):
  """An independent, frozen copy of `model` (new layers, same weights).

  Must be made before the model is wrapped for pruning or quantization:
  tfmot wraps the very layer objects it is given, so fine-tuning would
  change a teacher that shares them.

  Args:
    model: The model to copy.
    check_inputs: Optional model inputs (a batch): the copy must compute
      what `model` computes on them.

  Raises:
    UnsupportedModelError: Keras cannot clone the model, or the copy
      computes something else.
  """
  import tf_keras  # pylint: disable=g-import-not-at-top
  try:
    teacher = tf_keras.models.clone_model(model)
  except (ValueError, TypeError, NotImplementedError) as e:
    raise UnsupportedModelError(
        f"cannot copy model {model.name!r} as the distillation teacher ({e}); "
        "set fine_tuning.alpha=1.0 to fine-tune without distillation") from e
  teacher.set_weights(model.get_weights())
  teacher.trainable = False
  if check_inputs is not None:
    import numpy as np  # pylint: disable=g-import-not-at-top
    diff = float(np.max(np.abs(
        np.asarray(teacher(check_inputs, training=False)) -
        np.asarray(model(check_inputs, training=False)))))
    if not diff <= 1e-4:
      raise UnsupportedModelError(
          f"the copy of model {model.name!r} made to teach it differs from it "
          f"by {diff:g}; set fine_tuning.alpha=1.0 to fine-tune without "
          "distillation")
  return teacher


_DISTILLER = None


def _distiller_class():
  """tf_keras.Model subclass that trains a student against a teacher."""
  global _DISTILLER
  if _DISTILLER is not None:
    return _DISTILLER
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  import tf_keras  # pylint: disable=g-import-not-at-top

  class Distiller(tf_keras.Model):
    """Fits `student` on alpha x compiled loss + (1 - alpha) x soft loss.

    Calls, evaluation and metrics are the student's; only the student's
    variables are trained. The history's 'loss' is the hard-label loss and
    'distillation_loss' the soft term (T^2 x KL). tfmot callbacks find the student's wrappers (they
    search nested models).
    """

    def __init__(self, student, teacher, plan_: Plan, **kwargs):
      super().__init__(name=f"distill_{student.name}", **kwargs)
      self.student = student
      self.teacher = teacher
      self.plan = plan_
      self.soft_tracker = tf_keras.metrics.Mean(name="distillation_loss")

    def call(self, inputs, training=None):
      return self.student(inputs, training=training)

    def train_step(self, data):
      x, y, sample_weight = tf_keras.utils.unpack_x_y_sample_weight(data)
      teacher_outputs = self.teacher(x, training=False)
      with tf.GradientTape() as tape:
        outputs = self.student(x, training=True)
        hard = self.compiled_loss(y, outputs, sample_weight)
        loss, soft = combined_loss(hard, teacher_outputs, outputs, self.plan)
        if self.student.losses:
          loss += tf.add_n(self.student.losses)
      variables = self.student.trainable_variables
      self.optimizer.apply_gradients(zip(tape.gradient(loss, variables),
                                         variables))
      self.compiled_metrics.update_state(y, outputs, sample_weight)
      self.soft_tracker.update_state(soft)
      # 'loss' is the hard-label loss (the compiled loss's tracker), as in
      # evaluation; 'distillation_loss' the soft term.
      return {m.name: m.result() for m in self.metrics}

  _DISTILLER = Distiller
  return Distiller


def distiller(student, teacher, plan_: Plan):
  """The model to compile and fit: `student` taught by `teacher`."""
  return _distiller_class()(student, teacher, plan_)
