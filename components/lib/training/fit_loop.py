"""Fine-tuning a Keras model the way its Trainer compiled it."""

import dataclasses
import math
import time
from typing import Dict, List, Mapping, Optional, Sequence

from tfx_compression.errors import UnsupportedModelError
from tfx_compression.lib.keras import tf_setup


def _learning_rate(source_model) -> float:
  optimizer = getattr(source_model, "optimizer", None)
  rate = optimizer.get_config().get("learning_rate") if optimizer else None
  try:
    return float(rate)
  except (TypeError, ValueError) as e:  # None, or a schedule's config dict.
    raise UnsupportedModelError(
        f"Cannot read a constant learning rate from the optimizer of model "
        f"{source_model.name!r} (got {rate!r}); set fine_tuning.learning_rate."
    ) from e


def compile_like(model, source_model, learning_rate: Optional[float],
                 learning_rate_scale: float, loss: Optional[str]) -> float:
  """Compiles `model` with the optimizer class and loss `source_model` used.

  Returns:
    The learning rate used.

  Raises:
    UnsupportedModelError: the source has no compile config and the needed
      override (loss or learning rate) is not given.
  """
  import tf_keras  # pylint: disable=g-import-not-at-top
  loss = loss or getattr(source_model, "loss", None)
  if not loss:
    raise UnsupportedModelError(
        f"Model {source_model.name!r} was saved without a compiled loss; set "
        "fine_tuning.loss (e.g. 'sparse_categorical_crossentropy').")
  rate = (learning_rate if learning_rate is not None else
          _learning_rate(source_model) * learning_rate_scale)
  source_optimizer = getattr(source_model, "optimizer", None)
  if source_optimizer is not None:
    config = dict(source_optimizer.get_config(), learning_rate=rate)
    config.pop("is_legacy_optimizer", None)
    optimizer = type(source_optimizer).from_config(config)
  else:
    optimizer = tf_keras.optimizers.Adam(rate)
  model.compile(optimizer=optimizer, loss=loss, metrics=[_metric(loss)])
  return rate


def _metric(loss) -> str:
  """What fine-tuning reports besides the loss: accuracy for classifiers
  (Keras picks binary or categorical from the loss), MAE for regression."""
  from tfx_compression.lib.evaluation import task as task_lib  # pylint: disable=g-import-not-at-top
  reading = task_lib.loss_reading(loss)
  if reading and reading[0] is task_lib.Task.REGRESSION:
    return "mean_absolute_error"
  return "accuracy"


def distillation_plan(model, tuning):
  """The `distillation.Plan` of fine-tuning config `tuning` for `model`."""
  from tfx_compression.lib.training import distillation  # pylint: disable=g-import-not-at-top
  return distillation.plan(model, tuning.distillation_alpha, tuning.temperature,
                           explicit=tuning.alpha is not None,
                           loss=tuning.loss, task=tuning.task)


def teacher_for(model, plan, eval_ds=None):
  """A frozen copy of `model` to teach with, or None when `plan` is off.

  Call it before wrapping `model` (tfmot wraps its layer objects in place).
  With `eval_ds`, the copy is checked against `model` on its first batch.
  """
  from tfx_compression.lib.training import distillation  # pylint: disable=g-import-not-at-top
  if not plan.enabled:
    return None
  check = next(iter(eval_ds))[0] if eval_ds is not None else None
  return distillation.teacher_copy(model, check)


def freeze_unwrapped(model, wrapper_class) -> List[str]:
  """Freezes every layer with weights that is not a `wrapper_class` wrapper.

  What `FineTuning.train_unselected_layers=False` means for the tfmot
  wrappers (pruning, clustering, quantization): only the wrapped layers train.

  Returns:
    The names of the layers it froze (trainable before).
  """
  frozen = []
  for layer in model.layers:
    if layer.weights and not isinstance(layer, wrapper_class):
      if layer.trainable:
        frozen.append(layer.name)
      layer.trainable = False
  return frozen


def trainable(student, teacher, plan):
  """What to compile and fit: `student`, or `student` taught by `teacher`."""
  if teacher is None:
    return student
  from tfx_compression.lib.training import distillation  # pylint: disable=g-import-not-at-top
  return distillation.distiller(student, teacher, plan)


@dataclasses.dataclass(frozen=True)
class FitResult:
  history: Dict[str, List[float]]
  steps: int
  seconds: float = 0.0  # wall time of `fit`


def fit(model, train_ds, epochs: int, steps_per_epoch: int,
        callbacks: Sequence = (), validation_ds=None) -> FitResult:
  """Fits `model` on a repeating `train_ds`; returns the per-epoch history."""
  tf_setup.skip_autograph_for_keras()
  start = time.perf_counter()
  history = model.fit(train_ds.repeat(), epochs=epochs,
                      steps_per_epoch=steps_per_epoch,
                      validation_data=validation_ds, callbacks=list(callbacks),
                      verbose=2)
  return FitResult({k: [float(v) for v in vs]
                    for k, vs in history.history.items()},
                   steps=epochs * steps_per_epoch,
                   seconds=time.perf_counter() - start)


def evaluate(model, eval_ds) -> Mapping[str, float]:
  """Loss and compiled metrics of `model` on `eval_ds` (one pass)."""
  return {k: float(v) for k, v in
          model.evaluate(eval_ds, verbose=0, return_dict=True).items()}


def steps_per_epoch(num_examples: int, batch_size: int) -> int:
  return max(1, math.ceil(num_examples / batch_size))


def fit_taught(student, source_model, teacher, plan, learning_rate: float,
               tuning, data, callbacks: Sequence = (),
               compile_student: bool = False) -> FitResult:
  """Fits `student` as `tuning` says, taught by `teacher` when `plan` distills.

  The distiller is compiled like `source_model`; `student` itself only with
  `compile_student` (a freshly wrapped model).
  """
  trained = trainable(student, teacher, plan)
  if compile_student or trained is not student:
    compile_like(trained, source_model, learning_rate, 1.0, tuning.loss)
  return fit(trained, data.train, tuning.epochs, data.steps_per_epoch,
             validation_ds=data.eval, callbacks=callbacks)


@dataclasses.dataclass(frozen=True)
class WrappedRun:
  """What fine-tuning a tfmot-wrapped model gave (see `wrap_and_fine_tune`)."""
  stripped: object  # the unwrapped, compiled Keras model
  eval_before: Mapping[str, float]
  eval_after: Mapping[str, float]
  fit: FitResult
  learning_rate: float
  distillation: object  # distillation.Plan
  weights_gzip_before: int
  weights_gzip_after: int
  replicas: int = 1  # devices the fit ran on in sync


def wrap_and_fine_tune(model, tuning, data, wrap, wrapper_class, strip,
                       callbacks: Sequence = ()) -> WrappedRun:
  """Wraps `model` with tfmot, fine-tunes it as `tuning` says and strips it.

  The Pruner's and WeightClusterer's shared loop: evaluate, plan
  distillation, copy the teacher (before wrapping: tfmot takes the layer
  objects), `wrap(model)`, freeze what is not a `wrapper_class` unless
  `tuning.train_unselected_layers`, fit on `data`, `strip(wrapped)`, evaluate.
  Under `tuning.distribution` all of it runs in the strategy's scope on a
  copy of `model` (`distribution.adopt`); the stripped model comes back
  outside it, structured as without distribution.
  """
  from tfx_compression.lib.sparsity import pruning  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.training import distribution  # pylint: disable=g-import-not-at-top
  gzip_before = pruning.weights_gzip_size(model)
  source = model
  with distribution.scope(tuning.distribution) as strategy:
    model = distribution.adopt(source, strategy)
    rate = compile_like(model, source, tuning.learning_rate,
                        tuning.learning_rate_scale, tuning.loss)
    eval_before = evaluate(model, data.eval)
    distill = distillation_plan(model, tuning)
    teacher = teacher_for(model, distill, data.eval)
    wrapped = wrap(model)
    frozen = (freeze_unwrapped(wrapped, wrapper_class)
              if not tuning.train_unselected_layers else [])
    fitted = fit_taught(wrapped, model, teacher, distill, rate, tuning, data,
                        callbacks, compile_student=True)
    stripped = strip(wrapped)
  if strategy is not None:
    stripped = distribution.adopt(stripped, strategy)  # out of the scope
  # Frozen for this fine-tuning only: the output trains as the input did
  # (a WeightClusterer or QAT after the Pruner wraps and trains them).
  for name in frozen:
    stripped.get_layer(name).trainable = True
  compile_like(stripped, source, rate, 1.0, tuning.loss)
  return WrappedRun(
      stripped=stripped, eval_before=eval_before,
      eval_after=evaluate(stripped, data.eval), fit=fitted,
      learning_rate=rate, distillation=distill,
      weights_gzip_before=gzip_before,
      weights_gzip_after=pruning.weights_gzip_size(stripped),
      replicas=distribution.replicas(strategy))
