"""Post-validation: a converted model must agree with its Keras source on real inputs."""

import dataclasses
from typing import Mapping, Optional

import numpy as np

from tfx_compression.errors import ModelValidationError
from tfx_compression.lib.tflite import inference


@dataclasses.dataclass(frozen=True)
class Agreement:
  """How closely a TFLite model reproduces its Keras source.

  What is compared follows the model's task (`lib/evaluation/task.py`): classifiers by
  their decisions (`argmax_agreement`: the argmax, or a binary score against
  its threshold), regression outputs by `relative_error`.
  """

  num_examples: int
  max_abs_diff: float
  # Share of examples whose decision matches; None for regression outputs.
  argmax_agreement: Optional[float]
  # task.relative_error of regression outputs (None for classifiers).
  relative_error: Optional[float] = None
  task: Optional[str] = None  # the task the comparison assumed



def _pair_outputs(keras_out, lite_out):
  """Matches TFLite outputs to Keras outputs: by name, else by order."""
  if set(keras_out) == set(lite_out):
    return [(keras_out[k], lite_out[k], k) for k in keras_out]
  if len(keras_out) == len(lite_out):
    lite_keys = sorted(lite_out, key=lambda k: (len(k), k))
    return [(keras_out[k], lite_out[lk], k)
            for k, lk in zip(keras_out, lite_keys)]
  raise ModelValidationError(
      f"TFLite outputs {sorted(lite_out)} do not correspond to the Keras "
      f"outputs {sorted(keras_out)}.")


# The reason of the reading given to one output column whose task neither
# a Keras model nor the caller says: compared as regression (the stricter
# check), reported as of unknown task.
UNKNOWN_TASK = "one output column of unknown task (compared by relative error)"


def model_task_of(function, outputs: Optional[np.ndarray] = None):
  """The `task.ModelTask` of a model function's single output, or None.

  Read from its Keras model (compiled loss, activation) when it has one;
  else from the output's width and values: several columns are classes, one
  column is compared as a regression output (the stricter reading).
  """
  from tfx_compression.lib.evaluation import task as task_lib  # pylint: disable=g-import-not-at-top
  loss, activation = getattr(function, "task_hints", (None, None))
  keras_model = getattr(function, "keras_model", None)
  if keras_model is not None and len(keras_model.outputs) == 1:
    try:
      return task_lib.from_keras(keras_model, loss=getattr(
          keras_model, "loss", None) or loss)
    except ValueError:
      pass
  if outputs is None:
    return None
  width = int(np.prod(np.shape(outputs)[1:]))
  if loss is not None or activation is not None:
    try:
      return task_lib.infer(width, loss=loss, activation=activation,
                            outputs=outputs)
    except ValueError:
      pass
  if width == 1:
    return task_lib.ModelTask(task_lib.Task.REGRESSION, 1,
                              task_lib.Scores.VALUES, UNKNOWN_TASK)
  return task_lib.ModelTask(task_lib.Task.MULTICLASS, width,
                            task_lib.Scores.PROBABILITIES,
                            f"{width} output columns")


def compare_with_keras(model_bytes: bytes, keras_model,
                       inputs: Mapping[str, np.ndarray]) -> Agreement:
  """Runs `inputs` through both models and measures their agreement.

  `keras_model` may also be a `model_function.ModelFunction` (the same model
  as a TensorFlow function, e.g. behind its Transform graph).

  Raises:
    ModelValidationError: no inputs, NaN or infinite outputs, or output
      shapes that differ between the two models.
  """
  n = len(next(iter(inputs.values()))) if inputs else 0
  if n == 0:
    raise ModelValidationError("No validation examples to run.")
  from tfx_compression.lib.conversion import model_function  # pylint: disable=g-import-not-at-top
  function = model_function.as_function(keras_model)
  keras_out = function.predict(inputs)
  first = next(iter(keras_out.values())) if len(keras_out) == 1 else None
  return compare_outputs(keras_out, inference.predict(model_bytes, inputs), n,
                         model_task_of(function, first))


def compare_outputs(keras_out: Mapping[str, np.ndarray],
                    lite_out: Mapping[str, np.ndarray], n: int,
                    model_task=None) -> Agreement:
  """Measures how closely `lite_out` reproduces the reference `keras_out`.

  Args:
    model_task: The single output's `task.ModelTask`; None: outputs of
      several columns are compared by argmax, one column by relative error.

  Raises:
    ModelValidationError: NaN or infinite outputs, or shapes that differ.
  """
  from tfx_compression.lib.evaluation import task as task_lib  # pylint: disable=g-import-not-at-top
  max_diff, agree, errors = 0.0, [], []
  for expected, actual, name in _pair_outputs(keras_out, lite_out):
    expected = np.asarray(expected, np.float32)
    actual = np.asarray(actual, np.float32)
    if not np.all(np.isfinite(actual)):
      raise ModelValidationError(
          f"TFLite output {name!r} has NaN or infinite values on "
          f"{int(np.sum(~np.isfinite(actual)))} entries.")
    if expected.shape != actual.shape:
      raise ModelValidationError(
          f"TFLite output {name!r} has shape {actual.shape}; the Keras model "
          f"gives {expected.shape}.")
    max_diff = max(max_diff, float(np.max(np.abs(expected - actual))))
    this = model_task if len(keras_out) == 1 else None
    if this is None:
      this = model_task_of(None, expected)
    if this.is_classification:
      agree.append(float(np.mean(task_lib.decisions(expected, this) ==
                                 task_lib.decisions(actual, this))))
    else:
      errors.append(task_lib.relative_error(expected, actual))
  return Agreement(num_examples=n, max_abs_diff=max_diff,
                   argmax_agreement=min(agree) if agree else None,
                   relative_error=max(errors) if errors else None,
                   task=(model_task.task.value if model_task and
                         model_task.reason != UNKNOWN_TASK else None))
