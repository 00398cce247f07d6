"""The task a model solves, and what follows from it for checks and metrics.

- `multiclass`: N >= 3 columns of class scores (softmax probabilities or
  logits), integer labels 0..N-1. A decision is the argmax.
- `binary`: one column (a sigmoid probability or a logit) or two softmax
  columns, labels 0/1. A decision is score >= 0.5 (logit >= 0).
- `regression`: one or more continuous outputs, real-valued labels. There is
  no decision: outputs are compared by their relative error.

`infer` reads the task from what the artifacts say, in this order: an
explicit `task`; the compiled loss (keras_metadata.pb or the Keras model);
the last layer's activation; the output width with the labels' values and a
sample of the outputs. Where these leave both readings open (one linear
column, 0/1 labels, no loss) it asks for `task` rather than guessing: a
wrong guess gates on a metric that cannot see the model.
"""

import dataclasses
import enum
import math
import re
from typing import Any, Mapping, Optional

import numpy as np

from tfx_compression.errors import CompressionConfigError
from tfx_compression.errors import UnsupportedModelError

# A regression output passes validation while its mean absolute difference
# from the reference is at most this share of the reference's mean absolute
# deviation (scale-free: 0.1 = a tenth of the outputs' own spread).
MAX_RELATIVE_ERROR = 0.1
BINARY_THRESHOLD = 0.5  # on probabilities; 0.0 on logits


class Task(str, enum.Enum):
  """What the model predicts."""

  MULTICLASS = "multiclass"
  BINARY = "binary"
  REGRESSION = "regression"


class Scores(str, enum.Enum):
  """What the output columns hold."""

  PROBABILITIES = "probabilities"
  LOGITS = "logits"
  VALUES = "values"  # regression


@dataclasses.dataclass(frozen=True)
class ModelTask:
  """A model's task, output width and scores, and how they were decided."""

  task: Task
  width: int
  scores: Scores
  reason: str

  def to_dict(self) -> dict:
    return {"task": self.task.value, "width": self.width,
            "scores": self.scores.value, "reason": self.reason}

  @property
  def is_classification(self) -> bool:
    return self.task is not Task.REGRESSION


_REGRESSION_LOSSES = ("mean_squared_error", "mse", "mean_absolute_error", "mae",
                      "mean_absolute_percentage_error", "mape",
                      "mean_squared_logarithmic_error", "msle", "huber",
                      "huber_loss", "log_cosh", "logcosh", "poisson",
                      "cosine_similarity")
_BINARY_LOSSES = ("binary_crossentropy", "binary_focal_crossentropy", "hinge",
                  "squared_hinge")
_CLASS_LOSSES = ("sparse_categorical_crossentropy", "categorical_crossentropy",
                 "categorical_focal_crossentropy", "categorical_hinge",
                 "kl_divergence", "kld", "kullback_leibler_divergence")


def _snake(name: str) -> str:
  return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def loss_reading(loss) -> Optional[tuple]:
  """(Task family, from_logits or None) of a Keras loss, None if unknown.

  `loss` may be a string, a loss object or function, or the loss entry of
  keras_metadata.pb's training_config (a dict with class_name and config).
  """
  if loss is None:
    return None
  from_logits = None
  if isinstance(loss, dict):
    config = loss.get("config") or {}
    from_logits = config.get("from_logits")
    name = config.get("fn") or loss.get("class_name") or ""
  elif isinstance(loss, str):
    name = loss
  else:
    get_config = getattr(loss, "get_config", None)
    config = get_config() if get_config else {}
    from_logits = config.get("from_logits")
    name = (config.get("fn") or getattr(loss, "__name__", None) or
            type(loss).__name__)
  name = _snake(getattr(name, "__name__", str(name)))
  from_logits = None if from_logits is None else bool(from_logits)
  for family, names in ((Task.REGRESSION, _REGRESSION_LOSSES),
                        (Task.BINARY, _BINARY_LOSSES),
                        (Task.MULTICLASS, _CLASS_LOSSES)):
    if name in names:
      return family, from_logits
  return None


def _labels_kind(labels: Optional[Mapping[Any, int]]) -> Optional[str]:
  """'binary' (only 0/1), 'integer', 'real', or None when unknown."""
  if not labels:
    return None
  values = [float(v) for v in labels]
  if any(not math.isfinite(v) or v != round(v) for v in values):
    return "real"
  return "binary" if set(values) <= {0.0, 1.0} else "integer"


def _outputs_kind(outputs: Optional[np.ndarray]) -> Optional[str]:
  """'distribution' (rows of probabilities), 'unit' (all in [0, 1]), 'free'."""
  if outputs is None or not np.size(outputs):
    return None
  values = np.asarray(outputs, np.float64).reshape(len(outputs), -1)
  if values.min() < 0.0 or values.max() > 1.0:
    return "free"
  if values.shape[1] > 1 and np.allclose(values.sum(axis=1), 1.0, atol=1e-3):
    return "distribution"
  return "unit"


def _ask(field: str, why: str) -> CompressionConfigError:
  return CompressionConfigError(
      f"cannot tell which task the model solves: {why}. Set {field} to "
      f"{' or '.join(repr(t.value) for t in Task)}.")


def _classes(width: int, scores: Scores, reason: str) -> ModelTask:
  task = Task.BINARY if width <= 2 else Task.MULTICLASS
  return ModelTask(task, width, scores, reason)


def infer(width: int, *, explicit: Optional[Task] = None, loss=None,
          activation: Optional[str] = None,
          labels: Optional[Mapping[Any, int]] = None,
          outputs: Optional[np.ndarray] = None,
          field: str = "task") -> ModelTask:
  """Decides the task of a model with one output of `width` columns.

  Args:
    width: Values per example of the output judged.
    explicit: The user's `task`, which wins (checked against `width`).
    loss: The compiled loss, if known (see `loss_reading`).
    activation: The output layer's activation name, if known.
    labels: Label value -> count on the data, if known.
    outputs: A sample of the output's values, if known.
    field: The config field named in errors (e.g. 'fine_tuning.task').

  Raises:
    CompressionConfigError: `explicit` does not fit the output, or the
      signals leave several tasks open.
  """
  reading = loss_reading(loss)
  kind = _outputs_kind(outputs)
  squashed = activation in ("softmax", "sigmoid") or kind == "distribution"
  scores = (Scores.LOGITS if reading and reading[1] else
            Scores.PROBABILITIES if reading and reading[1] is False else
            Scores.PROBABILITIES if squashed else
            Scores.LOGITS if activation == "linear" or kind == "free" else
            Scores.PROBABILITIES)
  if explicit is not None:
    explicit = Task(explicit)
    if explicit is Task.REGRESSION:
      return ModelTask(explicit, width, Scores.VALUES, f"{field} = 'regression'")
    if width == 1 and explicit is Task.MULTICLASS:
      raise CompressionConfigError(
          f"{field} is 'multiclass' but the output has 1 column: its argmax is "
          "always 0, so no metric could tell candidates apart. A single "
          "sigmoid or logit column is 'binary'.")
    if explicit is Task.BINARY and width > 2:
      raise CompressionConfigError(
          f"{field} is 'binary' but the output has {width} columns; binary "
          "models have one score column (or two softmax columns).")
    return ModelTask(explicit, width, scores, f"{field} = {explicit.value!r}")
  if reading is not None:
    family, _ = reading
    if family is Task.REGRESSION:
      return ModelTask(Task.REGRESSION, width, Scores.VALUES,
                       "the compiled loss is a regression loss")
    if family is Task.BINARY and width == 1:
      return ModelTask(Task.BINARY, 1, scores,
                       f"the compiled loss is binary ({scores.value})")
    if family is Task.MULTICLASS and width > 1:
      return _classes(width, scores, "the compiled loss is categorical")
  if activation == "sigmoid" and width == 1:
    return ModelTask(Task.BINARY, 1, Scores.PROBABILITIES,
                     "one sigmoid output column")
  if activation == "softmax" and width > 1:
    return _classes(width, Scores.PROBABILITIES, f"{width} softmax columns")
  labels_kind = _labels_kind(labels)
  if labels_kind == "real":
    return ModelTask(Task.REGRESSION, width, Scores.VALUES,
                     "the labels are real numbers")
  if width > 1:
    if kind == "distribution" or (
        labels_kind in ("binary", "integer") and
        max(float(v) for v in labels) < width and
        min(float(v) for v in labels) >= 0):
      return _classes(width, scores,
                      f"{width} columns and class-index labels")
    raise _ask(field, f"{width} output columns that are not probabilities "
               "and " + ("no labels to read" if labels_kind is None else
                         f"integer labels outside 0..{width - 1}") +
               " (class logits or several regression targets?)")
  if labels_kind == "integer":
    return ModelTask(Task.REGRESSION, 1, Scores.VALUES,
                     "one output column and labels with more than two values")
  if labels_kind == "binary" and kind == "unit":
    return ModelTask(Task.BINARY, 1, Scores.PROBABILITIES,
                     "one output column in [0, 1] and 0/1 labels")
  raise _ask(field, "one output column with no compiled loss or sigmoid "
             "activation; its values " +
             ("leave [0, 1]" if kind == "free" else "were not seen") +
             (" and the labels are 0/1 (a logit, or a regression onto 0/1?)"
              if labels_kind == "binary" else " and no labels were read"))


def activation_name(layer) -> Optional[str]:
  import tf_keras  # pylint: disable=g-import-not-at-top
  if isinstance(layer, tf_keras.layers.Softmax):
    return "softmax"
  activation = getattr(layer, "activation", None)
  inner = getattr(layer, "layer", None)  # tfmot wrappers
  if activation is None and inner is not None:
    return activation_name(inner)
  return getattr(activation, "__name__", None)


def from_keras(model, explicit: Optional[Task] = None, loss=None,
               field: str = "task", labels=None) -> ModelTask:
  """`infer` for a tf_keras model with one output (its loss and activation).

  Raises:
    UnsupportedModelError: the model has several outputs.
    CompressionConfigError: see `infer`.
  """
  if len(model.outputs) != 1:
    raise UnsupportedModelError(
        f"model {model.name!r} has {len(model.outputs)} outputs; one output "
        "is needed to read its task")
  last = model.outputs[0].node.layer
  return infer(int(np.prod(model.outputs[0].shape[1:])), explicit=explicit,
               loss=loss if loss is not None else getattr(model, "loss", None),
               activation=activation_name(last), field=field,
               labels=labels)


def from_metadata(root: Mapping[str, Any], output: Optional[str] = None
                  ) -> tuple:
  """(loss, output activation) from keras_metadata.pb's root node, or Nones.

  A model with several outputs gives what belongs to `output` (its loss by
  key, the activation of the output layer of that name), else Nones.
  """
  loss = (root.get("training_config") or {}).get("loss")
  if isinstance(loss, dict) and "class_name" not in loss:  # one per output
    loss = loss.get(output) if output else None
  config = root.get("config") or {}
  layers = {l.get("config", {}).get("name"): l for l in config.get("layers", [])
            if isinstance(l, dict)}
  outputs = [o[0] for o in config.get("output_layers") or [] if o]
  if len(outputs) == 1:
    name = outputs[0]
  elif outputs:
    name = output if output in outputs else None
  else:
    name = (config.get("layers") or [{}])[-1].get("config", {}).get("name")
  layer = layers.get(name) or {}
  activation = (layer.get("config") or {}).get("activation")
  if layer.get("class_name") == "Softmax":
    activation = "softmax"
  return (loss if isinstance(loss, (str, dict)) else None,
          activation if isinstance(activation, str) else None)


def binary_probability(values: np.ndarray, scores: Scores) -> np.ndarray:
  """P(label = 1) per example, from one score column or two softmax columns."""
  values = np.asarray(values, np.float64).reshape(len(values), -1)
  if values.shape[1] == 2:
    if scores is Scores.LOGITS:
      values = values - values.max(axis=1, keepdims=True)
      exp = np.exp(values)
      return exp[:, 1] / exp.sum(axis=1)
    return values[:, 1]
  column = values[:, 0]
  if scores is Scores.LOGITS:
    return 1.0 / (1.0 + np.exp(-np.clip(column, -80.0, 80.0)))
  return column


def tfma_scores(values: np.ndarray, model_task: ModelTask) -> np.ndarray:
  """The prediction TFMA scores, as [examples, values] float32.

  Binary models give P(label = 1) (TFMA's binary metrics take
  probabilities and threshold them at 0.5); others give their outputs.
  """
  values = np.asarray(values, np.float32).reshape(len(values), -1)
  if model_task.task is Task.BINARY:
    return binary_probability(values, model_task.scores).astype(
        np.float32).reshape(-1, 1)
  return values


def decisions(values: np.ndarray, model_task: ModelTask) -> np.ndarray:
  """The class each example is given (classification tasks)."""
  if model_task.task is Task.BINARY:
    return (binary_probability(values, model_task.scores) >=
            BINARY_THRESHOLD).astype(np.int64)
  values = np.asarray(values).reshape(len(values), -1)
  return np.argmax(values, axis=1)


def relative_error(expected: np.ndarray, actual: np.ndarray) -> float:
  """mean |actual - expected| / mean |expected - mean(expected)|.

  Scale-free: 0 is identical, 1 is as far off as predicting the mean.
  """
  expected = np.asarray(expected, np.float64)
  actual = np.asarray(actual, np.float64)
  spread = float(np.mean(np.abs(expected - expected.mean(axis=0))))
  diff = float(np.mean(np.abs(actual - expected)))
  if spread == 0.0:
    return 0.0 if diff == 0.0 else math.inf
  return diff / spread


def saved_model_hints(path: str, output: Optional[str] = None) -> tuple:
  """(loss, output activation) a Keras SavedModel at `path` records for
  `output` (see `from_metadata`), or Nones.

  Read from keras_metadata.pb (no code runs); a model saved with
  `tf.saved_model.save` has none.
  """
  import os  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.keras import saved_model_io  # pylint: disable=g-import-not-at-top
  if not tf.io.gfile.exists(os.path.join(path, saved_model_io.KERAS_METADATA_FILE)):
    return None, None
  try:
    return from_metadata(saved_model_io.metadata_root(path), output)
  except UnsupportedModelError:
    return None, None
