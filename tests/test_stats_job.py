"""The split pre-checks as a Beam job: the whole split, the same errors."""

import os

import pytest
import tensorflow as tf

from tfx_compression.errors import DataError
from tfx_compression.errors import InputMismatchError
from tfx_compression.lib.data import example_stats
from tfx_compression.lib.evaluation import task as task_lib
from tfx_compression.lib.keras.saved_model_info import FeatureInfo

REGRESSION = task_lib.ModelTask(task_lib.Task.REGRESSION, 1,
                                task_lib.Scores.VALUES, "test")


def _example(x, label):
  return tf.train.Example(features=tf.train.Features(feature={
      "x": tf.train.Feature(float_list=tf.train.FloatList(value=x)),
      "y": tf.train.Feature(float_list=tf.train.FloatList(value=[label])),
  })).SerializeToString()


def _split(tmp_path, rows_per_file, bad=None):
  """Three gzipped shards; `bad`: (file, row, x values) replaced."""
  files = []
  options = tf.io.TFRecordOptions(compression_type="GZIP")
  for f in range(3):
    path = str(tmp_path / f"data_tfrecord-0000{f}-of-00003.gz")
    with tf.io.TFRecordWriter(path, options) as writer:
      for row in range(rows_per_file):
        x = [float(row), 1.0]
        if bad is not None and bad[:2] == (f, row):
          x = bad[2]
        writer.write(_example(x, f * rows_per_file + row + 0.5))
    files.append(path)
  return files


def _facts(stats):
  return (stats.records, {k: (v.present, v.kinds, v.lengths)
                          for k, v in stats.features.items()},
          stats.labels, stats.first_label_index, stats.labels_complete)


def test_the_job_equals_the_in_process_scan(tmp_path):
  files = _split(tmp_path, 40)
  local = example_stats.scan(files, "split 'eval'", "y", use_beam=False)
  job = example_stats.scan(files, "split 'eval'", "y", use_beam=True)
  assert _facts(job) == _facts(local) and job.records == 120
  assert job.scanned_by == "a Beam job" and local.scanned_by == "this process"


def test_a_bad_record_in_the_last_file_is_found_with_its_split_index(
    tmp_path):
  # Past where an explicit sample (limit) stops: the whole split is read.
  files = _split(tmp_path, 40, bad=(2, 37, [1.0, 2.0, 3.0]))
  sample = example_stats.scan(files, "split 'eval'", limit=50)
  assert sample.truncated and sample.records == 50
  example_stats.check_features(sample, {"x": FeatureInfo("x", "float32", (2,))},
                               "the model")  # the sample cannot see it
  stats = example_stats.scan(files, "split 'eval'", "y", use_beam=True)
  with pytest.raises(InputMismatchError,
                     match=r"feature 'x' has 3 value\(s\) in record 117 of "
                     r"split 'eval' \(1 records like it\)"):
    example_stats.check_features(
        stats, {"x": FeatureInfo("x", "float32", (2,))}, "the model")


def test_a_corrupt_file_is_a_data_error_naming_it(tmp_path):
  files = _split(tmp_path, 10)
  with open(files[1], "r+b") as f:
    f.truncate(os.path.getsize(files[1]) // 2)
  with pytest.raises(DataError, match="data_tfrecord-00001-of-00003.gz"):
    example_stats.scan(files, "split 'eval'", use_beam=True)


def test_labels_beyond_the_cap_keep_their_extremes_and_non_finite_values(
    tmp_path, monkeypatch):
  monkeypatch.setattr(example_stats, "MAX_LABEL_VALUES", 5)
  options = tf.io.TFRecordOptions(compression_type="GZIP")
  path = str(tmp_path / "data.gz")
  with tf.io.TFRecordWriter(path, options) as writer:
    for row in range(30):
      writer.write(_example([0.0, 0.0], float("inf") if row == 25 else row))
  for use_beam in (False, True):
    stats = example_stats.scan([path], "split 'train'", "y",
                               use_beam=use_beam)
    assert len(stats.labels) == 5 and not stats.labels_complete
    with pytest.raises(DataError, match=r"label 'y' is inf in record 25 of "
                       r"split 'train' \(some records like it\)"):
      example_stats.check_labels(stats, "y", REGRESSION, "the model")
