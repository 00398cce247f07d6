"""Every side's predictions on the eval split, written beside the features.

The evaluator runs each model itself (`models.Side.predict`) and writes the
eval records again with one extra float feature per model,
`__tfxc_prediction_<role>`, so that TFMA computes metrics, slices and
comparisons from the predictions as features (model-agnostic evaluation).
This is how a TFLite candidate is compared with a SavedModel baseline served
by its own signature (TFMA 0.47 cannot mix the two), and how integer-I/O
TFLite models are fed correctly quantized inputs.
"""

import os
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

import numpy as np

from tfx_compression.errors import ModelValidationError

PREDICTION_PREFIX = "__tfxc_prediction_"
PREDICTIONS_DIR = "predictions"  # <evaluation uri>/predictions/*.gz
BATCH_SIZE = 256


def feature_name(role: str) -> str:
  return PREDICTION_PREFIX + role


def annotate(records: Sequence[bytes], predicts: Mapping[str, Callable],
             output_key: str, model_task, label_space=None) -> List[bytes]:
  """The records with each role's `output_key` prediction as a feature.

  Binary models' predictions are written as P(label = 1) (`task.tfma_scores`:
  a logit goes through the sigmoid, two softmax columns give the second),
  which TFMA's binary metrics read; other tasks' as the model outputs them.

  Args:
    records: Serialized tf.Examples.
    predicts: Role -> records -> {output: array}.
    output_key: The output compared with the label.
    model_task: The baseline's `task.ModelTask`.
    label_space: A FeatureSpace computing the label through the Transform
      graph, when the label is not a raw feature; it is written too.

  Raises:
    ModelValidationError: a model returned NaN/inf or a different number of
      predictions than records.
  """
  # pylint: disable=g-import-not-at-top
  import tensorflow as tf
  from tfx_compression.compression_evaluator import models
  from tfx_compression.lib.evaluation import task as task_lib
  # pylint: enable=g-import-not-at-top
  records = list(records)
  columns = {}
  for role, predict in predicts.items():
    values = models.as_matrix(predict(records)[output_key])
    _check(values, len(records), role)
    columns[feature_name(role)] = task_lib.tfma_scores(values, model_task)
  labels = labels_of(label_space, records)
  written = []
  for i, record in enumerate(records):
    example = tf.train.Example.FromString(record)
    features = example.features.feature
    for name, values in columns.items():
      features[name].float_list.value[:] = values[i].tolist()
    if labels is not None and model_task.is_classification:
      features[label_space.label].int64_list.value[:] = [int(labels[i])]
    elif labels is not None:
      features[label_space.label].float_list.value[:] = [float(labels[i])]
    written.append(example.SerializeToString())
  return written


def write(files: Sequence[str], sides, output_key: str, output_dir: str,
          model_task, label_space=None) -> Dict[str, Any]:
  """`annotate` over the eval split in this process, batch by batch.

  Returns:
    {'examples': records written, 'files': [the gzipped TFRecord]}.
  """
  # pylint: disable=g-import-not-at-top
  import tensorflow as tf
  from tfx_compression.lib.data import examples_io
  ds = tf.data.TFRecordDataset(list(files),
                               compression_type=examples_io.compression_of(files))
  tf.io.gfile.makedirs(output_dir)
  path = os.path.join(output_dir, "predictions.tfrecord.gz")
  count = 0
  options = tf.io.TFRecordOptions(compression_type="GZIP")
  predicts = {s.source.role: s.predict for s in sides}
  with tf.io.TFRecordWriter(path, options) as writer:
    for batch in ds.batch(BATCH_SIZE):
      for record in annotate(list(batch.numpy()), predicts, output_key,
                             model_task, label_space):
        writer.write(record)
        count += 1
  return {"examples": count, "files": [path]}


def labels_of(label_space, records) -> Optional[np.ndarray]:
  """The labels the Transform graph of `label_space` computes for `records`."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  if label_space is None:
    return None
  _, labels = label_space.parse_fn()(tf.constant(records))
  return labels.numpy()


def _check(values: np.ndarray, n: int, role: str) -> None:
  if len(values) != n:
    raise ModelValidationError(
        f"the {role} model returned {len(values)} predictions for {n} records")
  bad = int(np.sum(~np.isfinite(values)))
  if bad:
    raise ModelValidationError(
        f"the {role} model returned {bad} NaN or infinite prediction values")


def _labelled(files: Sequence[str], label: str):
  """(label, features) of each record `write` wrote that has one numeric
  label."""
  # pylint: disable=g-import-not-at-top
  import tensorflow as tf
  from tfx_compression.lib.data import examples_io
  dataset = tf.data.TFRecordDataset(
      list(files), compression_type=examples_io.compression_of(files))
  for record in dataset.as_numpy_iterator():
    features = tf.train.Example.FromString(record).features.feature
    feature = features[label] if label in features else None
    kind = feature.WhichOneof("kind") if feature is not None else None
    label_values = getattr(feature, kind).value if kind else []
    if len(label_values) != 1 or kind == "bytes_list":
      continue
    yield float(label_values[0]), features


def read_back(files: Sequence[str], label: str, roles: Sequence[str]):
  """(labels [n], {role: predictions [n, k]}) of the records `write` wrote,
  over those with one numeric label."""
  labels, values = [], {role: [] for role in roles}
  for value, features in _labelled(files, label):
    labels.append(value)
    for role in roles:
      values[role].append(list(
          features[feature_name(role)].float_list.value))
  return (np.asarray(labels, np.float64),
          {r: np.asarray(v, np.float64).reshape(len(labels), -1) if v else
           np.zeros((0, 1)) for r, v in values.items()})


def slice_columns(files: Sequence[str], label: str,
                  names: Sequence[str]) -> Dict[str, List[set]]:
  """{feature: the set of its values in each record `read_back` reads}, in
  the types TFMA's slice keys hold (int, float, str)."""
  columns = {name: [] for name in names}
  for _, features in _labelled(files, label):
    for name in names:
      feature = features[name] if name in features else None
      kind = feature.WhichOneof("kind") if feature is not None else None
      values = list(getattr(feature, kind).value) if kind else []
      if kind == "bytes_list":
        values = [v.decode("utf-8", "replace") for v in values]
      columns[name].append(set(values))
  return columns
