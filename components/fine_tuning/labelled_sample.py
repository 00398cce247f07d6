"""Eval records with their labels: a fine-tuned model's quality before and
after, and its TFLite model's (QAT)."""

import dataclasses
from typing import Any, Dict, List, Optional

import numpy as np


@dataclasses.dataclass
class LabelledSample:
  """Eval records with their labels, for the model's quality before and after.

  Quality is top-1 accuracy for classifiers (a binary score against 0.5)
  and mean absolute error for regression models (`metric` says which).
  """

  serialized: List[bytes]
  inputs: Dict[str, np.ndarray]  # model inputs
  labels: np.ndarray
  task: Any = None  # task.ModelTask; None: read as a classifier

  @property
  def size(self) -> int:
    return len(self.labels)

  @property
  def metric(self) -> str:
    regression = self.task is not None and not self.task.is_classification
    return "mean_absolute_error" if regression else "accuracy"

  def score(self, outputs) -> float:
    """`metric` of a single output's values against the labels."""
    from tfx_compression.lib.evaluation import task as task_lib  # pylint: disable=g-import-not-at-top
    from tfx_compression.lib.tflite import inference  # pylint: disable=g-import-not-at-top
    outputs = np.asarray(outputs)
    if self.task is None:
      return inference.top1_accuracy(outputs, self.labels)
    if not self.task.is_classification:
      return float(np.mean(np.abs(outputs.reshape(len(outputs), -1) -
                                  self.labels.reshape(len(outputs), -1))))
    return float(np.mean(task_lib.decisions(outputs, self.task) ==
                         np.ravel(self.labels)))

  def accuracy(self, function) -> float:
    """`metric` of a single-output model function on the sample."""
    (outputs,) = function.predict(self.inputs).values()
    return self.score(outputs)

  def tflite_accuracy(self, model_bytes: bytes, space) -> float:
    """`metric` of a TFLite model fed through `space`."""
    # pylint: disable=g-import-not-at-top
    from tfx_compression.lib.tflite import inference
    from tfx_compression.lib.conversion import conversion_source
    (outputs,) = inference.predict(
        model_bytes, conversion_source.read_inputs(space, self.serialized)).values()
    return self.score(outputs)


def labelled_sample(data, limit: int) -> Optional[LabelledSample]:
  """Up to `limit` eval records with labels; None without a known label."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.data import examples_io  # pylint: disable=g-import-not-at-top
  if data.space is None:
    return None
  serialized = examples_io.read_serialized(data.eval_files, limit)
  inputs, labels = data.space.parse_fn()(tf.constant(serialized))
  return LabelledSample(serialized, {k: v.numpy() for k, v in inputs.items()},
                        labels.numpy(), data.task)
