"""Library tests: which task a model solves, and how each task is scored."""

import numpy as np
import pytest

from tfx_compression.errors import CompressionConfigError
from tfx_compression.lib.evaluation import task as task_lib
from tfx_compression.lib.evaluation.task import Scores
from tfx_compression.lib.evaluation.task import Task

BINARY_LABELS = {0: 40, 1: 60}
CLASS_LABELS = {0: 10, 1: 10, 2: 10}
REAL_LABELS = {0.5: 1, 2.25: 1, 7.0: 1}
UNIT = np.array([[0.1], [0.8], [0.4]])
FREE = np.array([[-2.0], [3.5], [0.4]])


@pytest.mark.parametrize("width, kwargs, task, scores", [
    # The compiled loss decides first (strings, objects, metadata dicts).
    (1, {"loss": "mse"}, Task.REGRESSION, Scores.VALUES),
    (1, {"loss": "mean_absolute_error", "activation": "sigmoid"},
     Task.REGRESSION, Scores.VALUES),
    (1, {"loss": {"class_name": "BinaryCrossentropy",
                  "config": {"from_logits": True}}}, Task.BINARY, Scores.LOGITS),
    (1, {"loss": "binary_crossentropy"}, Task.BINARY, Scores.PROBABILITIES),
    (10, {"loss": "sparse_categorical_crossentropy", "activation": "softmax"},
     Task.MULTICLASS, Scores.PROBABILITIES),
    (2, {"loss": "sparse_categorical_crossentropy", "activation": "softmax"},
     Task.BINARY, Scores.PROBABILITIES),
    # Then the output activation.
    (1, {"activation": "sigmoid"}, Task.BINARY, Scores.PROBABILITIES),
    (3, {"activation": "softmax"}, Task.MULTICLASS, Scores.PROBABILITIES),
    # Then width, labels and output values.
    (1, {"labels": REAL_LABELS}, Task.REGRESSION, Scores.VALUES),
    (1, {"labels": {0: 1, 3: 1, 9: 1}}, Task.REGRESSION, Scores.VALUES),
    (1, {"labels": BINARY_LABELS, "outputs": UNIT}, Task.BINARY,
     Scores.PROBABILITIES),
    (3, {"labels": CLASS_LABELS, "outputs": np.ones((2, 3)) * 2.0},
     Task.MULTICLASS, Scores.LOGITS),
    (3, {"outputs": np.full((2, 3), 1 / 3)}, Task.MULTICLASS,
     Scores.PROBABILITIES),
    (2, {"labels": REAL_LABELS}, Task.REGRESSION, Scores.VALUES),
    # An explicit task wins.
    (1, {"explicit": "regression", "activation": "sigmoid"}, Task.REGRESSION,
     Scores.VALUES),
    (1, {"explicit": "binary", "outputs": FREE}, Task.BINARY, Scores.LOGITS),
])
def test_task_is_read_from_loss_activation_width_labels_and_outputs(
    width, kwargs, task, scores):
  found = task_lib.infer(width, **kwargs)
  assert (found.task, found.scores, found.width) == (task, scores, width)
  assert found.reason


@pytest.mark.parametrize("width, kwargs, message", [
    # One linear column, 0/1 labels, no loss: a logit or a regression onto 0/1.
    (1, {"labels": BINARY_LABELS, "outputs": FREE},
     r"a logit, or a regression onto 0/1\?\)\. Set task to 'multiclass' or "
     r"'binary' or 'regression'"),
    (1, {}, "no labels were read"),
    (4, {"outputs": np.ones((2, 4)) * 3.0}, "no labels to read"),
    (3, {"labels": {0: 1, 7: 1}, "outputs": np.ones((2, 3)) * 3.0},
     "integer labels outside 0..2"),
    (1, {"explicit": "multiclass"}, "its argmax is always 0"),
    (5, {"explicit": "binary"}, "has 5 columns"),
])
def test_ambiguous_or_impossible_tasks_ask_for_task(width, kwargs, message):
  with pytest.raises(CompressionConfigError, match=message):
    task_lib.infer(width, **kwargs)


def test_the_field_to_set_is_named():
  with pytest.raises(CompressionConfigError, match="Set fine_tuning.task to"):
    task_lib.infer(1, field="fine_tuning.task")


def test_binary_scores_become_probabilities_for_tfma():
  logits = np.array([[0.0], [2.0], [-2.0]])
  binary = task_lib.infer(1, explicit="binary", outputs=logits)
  assert binary.scores is Scores.LOGITS
  np.testing.assert_allclose(task_lib.tfma_scores(logits, binary).ravel(),
                             [0.5, 0.8807971, 0.1192029], rtol=1e-6)
  two = np.array([[0.3, 0.7], [0.9, 0.1]])
  pair = task_lib.infer(2, activation="softmax")
  np.testing.assert_allclose(task_lib.tfma_scores(two, pair).ravel(),
                             [0.7, 0.1], rtol=1e-6)
  assert list(task_lib.decisions(two, pair)) == [1, 0]
  multi = task_lib.infer(3, activation="softmax")
  probs = np.array([[0.2, 0.5, 0.3]])
  assert task_lib.tfma_scores(probs, multi).shape == (1, 3)
  assert list(task_lib.decisions(probs, multi)) == [1]


def test_relative_error_is_scale_free():
  y = np.array([1.0, 2.0, 3.0, 4.0])
  assert task_lib.relative_error(y, y) == 0.0
  assert task_lib.relative_error(y * 100, y * 100 + 5) == pytest.approx(
      task_lib.relative_error(y, y + 0.05))
  assert task_lib.relative_error(y, np.full(4, y.mean())) == pytest.approx(1.0)


def test_metadata_gives_loss_and_output_activation():
  root = {"training_config": {"loss": "mse"},
          "config": {"layers": [{"class_name": "Dense",
                                 "config": {"name": "hidden",
                                            "activation": "relu"}},
                                {"class_name": "Dense",
                                 "config": {"name": "score",
                                            "activation": "sigmoid"}}],
                     "output_layers": [["score", 0, 0]]}}
  assert task_lib.from_metadata(root) == ("mse", "sigmoid")
  assert task_lib.from_metadata({}) == (None, None)


def test_metadata_of_a_model_with_several_heads_reads_the_judged_one():
  layer = lambda name, activation: {"class_name": "Dense", "config": {
      "name": name, "activation": activation}}
  root = {"training_config": {"loss": {"price": "mse",
                                       "churn": "binary_crossentropy"}},
          "config": {"layers": [layer("price", "linear"),
                                layer("churn", "sigmoid")],
                     "output_layers": [["price", 0, 0], ["churn", 0, 0]]}}
  assert task_lib.from_metadata(root, "churn") == ("binary_crossentropy",
                                                   "sigmoid")
  assert task_lib.from_metadata(root, "price") == ("mse", "linear")
  assert task_lib.from_metadata(root) == (None, None)
