"""The metric the accuracy-budget search judges each quantized model by.

Run on the held-out validation sample, in the task's own terms
(`lib/evaluation/task.py`):

- with labels, a classifier's `accuracy` (a binary model's decision is its
  score against the threshold) and a regressor's mean absolute error
  (`-mae`, so that larger is better; a drop is the MAE's increase in label
  units);
- without labels, fidelity to the float .tflite model: a classifier's
  `agreement` of decisions, a regressor's `-relative_error` (mean absolute
  difference over the outputs' own spread).

A drop is always `reference - metric`, the float model's metric minus the
candidate's.
"""

import dataclasses
from typing import Mapping, Optional

import numpy as np

from tfx_compression.errors import InputMismatchError
from tfx_compression.lib.tflite import inference


@dataclasses.dataclass(frozen=True)
class Judge:
  """Scores .tflite models on fixed inputs against the float model."""

  name: str
  reference: float  # the float .tflite model's metric
  inputs: Mapping[str, np.ndarray] = dataclasses.field(repr=False)
  model_task: object = dataclasses.field(repr=False)  # task.ModelTask
  labels: Optional[np.ndarray] = dataclasses.field(repr=False, default=None)
  float_outputs: Optional[np.ndarray] = dataclasses.field(repr=False,
                                                          default=None)

  def metric(self, model_bytes: bytes) -> float:
    return _score(_single(inference.predict(model_bytes, self.inputs)),
                  self.model_task, self.labels, self.float_outputs)

  @property
  def num_examples(self) -> int:
    return len(next(iter(self.inputs.values())))


def _single(outputs: Mapping[str, np.ndarray]) -> np.ndarray:
  if len(outputs) == 1:
    (values,) = outputs.values()
    return np.asarray(values, np.float64).reshape(len(values), -1)
  # Several outputs: judged together, as one row of every output's columns.
  return np.concatenate([np.asarray(outputs[k], np.float64).reshape(
      len(outputs[k]), -1) for k in sorted(outputs)], axis=1)


def _score(values, model_task, labels, float_outputs) -> float:
  from tfx_compression.lib.evaluation import task as task_lib  # pylint: disable=g-import-not-at-top
  classify = model_task is not None and model_task.is_classification
  if labels is not None:
    if classify:
      return float(np.mean(task_lib.decisions(values, model_task) == labels))
    return -float(np.mean(np.abs(values - labels.reshape(len(labels), -1))))
  if classify:
    return float(np.mean(task_lib.decisions(values, model_task) ==
                         task_lib.decisions(float_outputs, model_task)))
  return -task_lib.relative_error(float_outputs, values)


def _name(model_task, labelled: bool) -> str:
  classify = model_task is not None and model_task.is_classification
  if labelled:
    return "accuracy" if classify else "-mae"
  return "agreement with float" if classify else "-relative error vs float"


def labels_from(records, label_key: str) -> np.ndarray:
  """One numeric label per serialized tf.Example.

  Raises:
    InputMismatchError: a record lacks `label_key`, holds several values or
      a string (names the field).
  """
  from tensorflow.core.example import example_pb2  # pylint: disable=g-import-not-at-top
  labels = []
  for i, record in enumerate(records):
    feature = example_pb2.Example.FromString(record).features.feature.get(
        label_key)
    kind = feature.WhichOneof("kind") if feature is not None else None
    values = getattr(feature, kind).value if kind else []
    if kind not in ("int64_list", "float_list") or len(values) != 1:
      raise InputMismatchError(
          f"label_key {label_key!r}: validation record {i} has "
          + ("no such feature" if feature is None else
             f"{len(values)} {kind or 'empty'} value(s)") +
          "; the accuracy budget compares outputs with one int64 or float "
          "label per record (or leave ptq_config.label_key empty to judge "
          "agreement with the float model).")
    labels.append(float(values[0]))
  return np.asarray(labels)


def make(float_bytes: bytes, inputs: Mapping[str, np.ndarray], function,
         labels: Optional[np.ndarray] = None) -> Judge:
  """The judge of models converted from `function` (a ModelFunction).

  Args:
    float_bytes: The float .tflite model: the reference.
    inputs: The validation sample (input name -> batch).
    function: The model's `model_function.ModelFunction` (its task hints).
    labels: One label per example, or None to judge fidelity to float.
  """
  from tfx_compression.lib.conversion import post_validation  # pylint: disable=g-import-not-at-top
  outputs = inference.predict(float_bytes, inputs)
  values = _single(outputs)
  model_task = post_validation.model_task_of(
      function, values if len(outputs) == 1 else None)
  if len(outputs) != 1:
    model_task = None
  if labels is not None and model_task is not None and \
      model_task.is_classification:
    labels = labels.astype(np.int64)
  return Judge(name=_name(model_task, labels is not None),
               reference=_score(values, model_task, labels, values),
               inputs=dict(inputs), model_task=model_task, labels=labels,
               float_outputs=values)
