"""Verdicts with their uncertainty: paired bootstrap intervals of metric
changes, the warning when the eval split is too small for the threshold,
and the gate on the interval's pessimistic end."""

import dataclasses

import numpy as np
import pytest

from tfx_compression.compression_evaluator import checks
from tfx_compression.compression_evaluator import predictions
from tfx_compression.compression_evaluator import uncertainty
from tfx_compression.lib.evaluation import tfma_eval


def _direct(change_per_example, resamples, seed):
  """The bootstrap written out: one resample at a time, as chunks draw."""
  rng = np.random.default_rng(seed)
  n = len(change_per_example)
  means, left = [], resamples
  while left:
    size = min(uncertainty._CHUNK, left)  # pylint: disable=protected-access
    draws = rng.integers(0, n, (size, n))
    means += [change_per_example[row].mean() for row in draws]
    left -= size
  return np.percentile(means, [2.5, 97.5])


def test_accuracy_interval_on_a_fixed_paired_sample():
  labels = np.array([0, 1, 2, 1, 0, 2, 1, 1, 0, 2] * 5, np.float64)
  base = np.eye(3)[labels.astype(int)]            # always right
  cand = base.copy()
  cand[[3, 17, 28], :] = np.eye(3)[[0, 0, 0]]     # 3 of 50 wrong
  low, high = uncertainty.paired_interval(
      "sparse_categorical_accuracy", labels, cand, base, "multiclass",
      resamples=400, seed=7)
  per_example = (np.argmax(cand, 1) == labels).astype(float) - 1.0
  np.testing.assert_allclose([low, high], _direct(per_example, 400, 7))
  assert low < -0.06 < high <= 0.0  # the point change is -0.06
  # The same model on both sides: no uncertainty at all.
  assert uncertainty.paired_interval("accuracy", labels, base, base,
                                     "multiclass") == (0.0, 0.0)


def test_regression_and_auc_intervals_bracket_the_change():
  rng = np.random.default_rng(0)
  labels = rng.normal(size=200)
  base = (labels + rng.normal(scale=0.1, size=200))[:, None]
  cand = (labels + rng.normal(scale=0.3, size=200))[:, None]
  low, high = uncertainty.paired_interval("mean_squared_error", labels, cand,
                                          base, "regression")
  change = np.mean((cand[:, 0] - labels) ** 2) - np.mean(
      (base[:, 0] - labels) ** 2)
  assert 0 < low < change < high
  binary = (labels > 0).astype(float)
  scores = 1 / (1 + np.exp(-np.hstack([base, cand]) * 3))
  low, high = uncertainty.paired_interval(
      "auc", binary, scores[:, 1:], scores[:, :1], "binary", resamples=200)
  change = uncertainty.auc(binary, scores[:, 1]) - uncertainty.auc(
      binary, scores[:, 0])
  assert low <= change <= high < 0
  # Metrics it does not cover give no interval.
  assert uncertainty.paired_interval("precision", binary, scores, scores,
                                     "binary") is None


def _records(path, labels, roles, groups=None):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  with tf.io.TFRecordWriter(str(path)) as writer:
    for i, label in enumerate(labels):
      feature = {"label": tf.train.Feature(
          int64_list=tf.train.Int64List(value=[int(label)]))}
      if groups is not None:
        feature["group"] = tf.train.Feature(
            bytes_list=tf.train.BytesList(value=[groups[i].encode()]))
      for role, values in roles.items():
        feature[predictions.feature_name(role)] = tf.train.Feature(
            float_list=tf.train.FloatList(value=values[i]))
      writer.write(tf.train.Example(features=tf.train.Features(
          feature=feature)).SerializeToString())
  return str(path)


@pytest.fixture
def small_split(tmp_path):
  """36 eval examples (the issue's case); the candidate misses one."""
  labels = np.arange(36) % 3
  base = np.eye(3)[labels]
  cand = base.copy()
  cand[4] = np.eye(3)[(labels[4] + 1) % 3]
  path = _records(tmp_path / "p.tfrecord", labels,
                  {"candidate": cand.tolist(), "baseline": base.tolist()})
  result = tfma_eval.SliceResult(
      tfma_eval.OVERALL, "sparse_categorical_accuracy", "change", "baseline",
      35 / 36, 1.0, -1 / 36, -0.02, False, 36)
  rule = tfma_eval.Rule("sparse_categorical_accuracy", None, "change",
                        absolute=-0.02)
  return path, result, rule


def test_a_36_example_split_warns_that_one_example_decides(small_split):
  path, result, rule = small_split
  (interval,) = uncertainty.assess([path], "label", "multiclass", [result],
                                   [rule])
  assert interval.examples == 36 and interval.allowed == 0.02
  assert interval.resolution == pytest.approx(1 / 36)
  assert any("smaller than one example of 36 (0.028)" in w
             for w in interval.warnings), interval.warnings
  assert interval.to_dict()["meaningful"] is False
  assert interval.low < interval.diff <= interval.high


def test_gate_on_the_interval_decides_on_its_pessimistic_end(small_split):
  path, result, rule = small_split
  intervals = uncertainty.assess([path], "label", "multiclass", [result],
                                 [rule])
  lenient = dataclasses.replace(result, diff=0.0, passed=True)
  (point,) = [checks.metric_check(lenient)]
  assert point.passed
  (gated,) = uncertainty.gate([point], intervals, lambda i: (
      f"{i.metric}[{tfma_eval.OVERALL}]{checks.suffix(i.against)}"))
  assert not gated.passed and "pessimistic end" in gated.reason


def test_gate_on_is_validated():
  from tfx_compression.compression_evaluator.config import CompressionEvaluatorConfig  # pylint: disable=g-import-not-at-top
  from tfx_compression.errors import CompressionConfigError  # pylint: disable=g-import-not-at-top
  assert CompressionEvaluatorConfig(gate_on="interval").gate_on == "interval"
  with pytest.raises(CompressionConfigError,
                     match=r"gate_on must be one of \['point', 'interval'\]; "
                     r"got 'bound'"):
    CompressionEvaluatorConfig(gate_on="bound")


def test_each_slice_gets_its_own_interval_over_its_own_examples(tmp_path):
  labels = np.arange(60) % 3
  groups = ["big"] * 50 + ["small"] * 10
  base = np.eye(3)[labels]
  cand = base.copy()
  cand[[3, 55]] = np.eye(3)[(labels[[3, 55]] + 1) % 3]  # one miss per group
  path = _records(tmp_path / "p.tfrecord", labels,
                  {"candidate": cand.tolist(), "baseline": base.tolist()},
                  groups)
  metric = "sparse_categorical_accuracy"
  rules = [tfma_eval.Rule(metric, None, "change", absolute=-0.02),
           tfma_eval.Rule(metric, ('{"featureKeys": ["group"]}',), "change",
                          absolute=-0.05)]
  result = lambda name, key, n, diff, limit: tfma_eval.SliceResult(
      name, metric, "change", "baseline", 1 + diff, 1.0, diff, limit,
      False, n, key)
  results = [result(tfma_eval.OVERALL, (), 60, -2 / 60, -0.02),
             result("group:big", (("group", "big"),), 50, -1 / 50, -0.05),
             result("group:small", (("group", "small"),), 10, -0.1, -0.05)]
  overall, big, small = uncertainty.assess([path], "label", "multiclass",
                                           results, rules)
  assert [i.slice_name for i in (overall, big, small)] == [
      tfma_eval.OVERALL, "group:big", "group:small"]
  assert (overall.examples, big.examples, small.examples) == (60, 50, 10)
  assert (overall.allowed, small.allowed) == (0.02, 0.05)
  # The slice's interval is the bootstrap over the slice's examples only.
  inside = np.array(groups) == "small"
  assert (small.low, small.high) == uncertainty.paired_interval(
      metric, labels[inside].astype(float), cand[inside], base[inside],
      "multiclass")
  assert small.low <= -0.1 <= small.high
  assert any("smaller than one example of 10" in w for w in small.warnings)
  lines = uncertainty.warnings_of([overall, big, small], tfma_eval.OVERALL)
  assert any(l.startswith(f"{metric} vs baseline: on ") and
             "(e.g. group:small, 10 examples" in l for l in lines), lines
  # Gated on intervals, each slice's check is decided by its own interval.
  gated = uncertainty.gate(
      [checks.metric_check(dataclasses.replace(r, passed=True))
       for r in results], [overall, big, small],
      lambda i: f"{i.metric}[{i.slice_name}]{checks.suffix(i.against)}")
  assert [g.name for g in gated if "pessimistic" in g.reason] == [
      f"{metric}[{n}]" for n in (tfma_eval.OVERALL, "group:big",
                                 "group:small")]
