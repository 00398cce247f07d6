"""Checks and export shared by the executors that fine-tune (Pruner, QAT).

A model rebuilt by the user's `model_fn` must reproduce the artifact before
training starts, and an exported model must serve what was trained.
"""

import dataclasses
from typing import Any, Dict, List, Optional

from absl import logging
import numpy as np


def set_trust_property(artifact, trusted: bool) -> None:
  """Records on `artifact` that code stored in its source artifact ran."""
  from tfx_compression import properties  # pylint: disable=g-import-not-at-top
  if trusted:
    artifact.set_int_custom_property(properties.TRUSTED_MODEL_CODE, 1)


def check_input_model(loaded, data) -> Optional[float]:
  """Proves a `model_fn`-rebuilt model equals the saved one on real examples.

  Returns:
    The largest output difference, or None when the Keras model came from
    the artifact's own Keras metadata (nothing was rebuilt).

  Raises:
    UnsupportedModelError: the rebuilt model computes something else.
  """
  from tfx_compression.lib import model_loading  # pylint: disable=g-import-not-at-top
  if not loaded.rebuilt_by_model_fn:
    return None
  return model_loading.check_reproduces(loaded, data.check.inputs,
                                        f"model at {loaded.info.path}")


def export_with_original_signatures(trained_model, loaded, source_dir: str,
                                    export_dir: str, data,
                                    trust_model_code: bool = False
                                    ) -> Optional[float]:
  """Saves `trained_model` under the source's signatures and proves the export.

  Returns:
    The largest difference between the export's serving_default and
    `trained_model` on real eval records, or None when the records are not
    raw examples serving_default can parse (then nothing is compared).
  """
  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib import keras_export
  from tfx_compression.lib import model_function
  keras_export.save_with_original_signatures(trained_model, source_dir,
                                             export_dir, trust_model_code)
  check = data.check
  if not (check.servable and loaded.info.serving.takes_serialized_examples):
    logging.warning("Export of %s not compared with serving_default: the "
                    "examples are not the raw records it parses.", export_dir)
    return None
  expected = model_function.from_keras(
      trained_model, loaded.info.output_keys).predict(check.inputs)
  return keras_export.check_export(export_dir, expected, check.serialized)


def report(loaded, data, reproduced: Optional[float],
           export_diff: Optional[float], trusted: bool) -> Dict[str, Any]:
  """The report.json entries about the input model and the export."""
  return {
      "source_saved_with": loaded.info.saved_with,
      "inputs_from": data.inputs_from,
      "label": data.label,
      "rebuilt_by_model_fn_max_abs_diff": reproduced,
      "trusted_model_code": trusted,
      "export_serving_max_abs_diff": export_diff,
      "task": data.task.to_dict() if data.task else None,
  }


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
    from tfx_compression.lib import task as task_lib  # pylint: disable=g-import-not-at-top
    from tfx_compression.lib import tflite_run  # pylint: disable=g-import-not-at-top
    outputs = np.asarray(outputs)
    if self.task is None:
      return tflite_run.top1_accuracy(outputs, self.labels)
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
    from tfx_compression.lib import tflite_run
    from tfx_compression.lib import tflite_source
    (outputs,) = tflite_run.predict(
        model_bytes, tflite_source.read_inputs(space, self.serialized)).values()
    return self.score(outputs)


def labelled_sample(data, limit: int) -> Optional[LabelledSample]:
  """Up to `limit` eval records with labels; None without a known label."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib import examples_io  # pylint: disable=g-import-not-at-top
  if data.space is None:
    return None
  serialized = examples_io.read_serialized(data.eval_files, limit)
  inputs, labels = data.space.parse_fn()(tf.constant(serialized))
  return LabelledSample(serialized, {k: v.numpy() for k, v in inputs.items()},
                        labels.numpy(), data.task)


def tflite_input(loaded, trained_model, inputs, transform: Optional[str],
                 data, limit: int, component: str):
  """The conversion input for a fine-tuned Keras model (QAT export).

  The trained model replaces the source model in front of the same feature
  space: with `TfliteInputs.SERVING` the Transform graph (the directory
  `transform`, or None) is folded in.
  """
  # pylint: disable=g-import-not-at-top
  from tfx_compression import conversion_input
  from tfx_compression.lib import examples_io
  from tfx_compression.lib import model_function
  from tfx_compression.lib import tflite_source
  serialized = examples_io.read_serialized(data.eval_files, limit)
  keys = examples_io.feature_keys(data.eval_files)
  source = f"the eval split ({data.eval_files[0]})"
  resolved = tflite_source.resolve(
      loaded, inputs, transform, keys, source,
      function=model_function.from_keras(trained_model,
                                         loaded.info.output_keys))
  reference = tflite_source.resolve(loaded, inputs, transform, keys, source)
  return conversion_input.ConversionInput(
      loaded=loaded, source=resolved, serialized=serialized,
      inputs=tflite_source.read_inputs(resolved.space, serialized),
      examples_source=source, reference=reference.function)
