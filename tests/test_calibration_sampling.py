"""Library tests: the Beam calibration sampler on label-sorted synthetic data."""

import collections
import os

import numpy as np
import pytest

from tfx_compression.errors import CompressionConfigError
from tfx_compression.errors import InputMismatchError
from tfx_compression.lib.quantization import calibration_sampling
from tfx_compression.lib.quantization.calibration_sampling import InsufficientExamplesError
from tfx_compression.lib.keras.saved_model_io import InputSpec

# Label c has 40 + 10 c examples, with features uniform in [0, c + 1]:
# classes differ in size and in input range; files are sorted by label.
NUM_CLASSES = 10
COUNTS = [40 + 10 * c for c in range(NUM_CLASSES)]
POPULATION = sum(COUNTS)  # 850
SPECS = {"x": InputSpec("x", (4,), "float32")}
MULTI_PROCESS = ["--direct_running_mode=multi_processing",
                 "--direct_num_workers=2"]


def _example(values, label):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  return tf.train.Example(features=tf.train.Features(feature={
      "x": tf.train.Feature(float_list=tf.train.FloatList(value=values)),
      "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[label])),
  })).SerializeToString()


@pytest.fixture(scope="module")
def data(tmp_path_factory):
  """Label-sorted gzipped shards, as ExampleGen would write an ordered split."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  rng = np.random.default_rng(0)
  records = [_example(rng.uniform(0, c + 1, 4).tolist(), c)
             for c in range(NUM_CLASSES) for _ in range(COUNTS[c])]
  directory = tmp_path_factory.mktemp("sorted")
  files = []
  for shard, chunk in enumerate(np.array_split(np.arange(POPULATION), 3)):
    files.append(str(directory / f"data_tfrecord-{shard:05d}-of-00003.gz"))
    with tf.io.TFRecordWriter(files[-1], options="GZIP") as writer:
      for i in chunk:
        writer.write(records[i])
  return files, records


def _read(files):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  return [r.numpy() for r in tf.data.TFRecordDataset(files, "GZIP")]


def _labels(records):
  return collections.Counter(
      int(calibration_sampling.label_of(r, "label")) for r in records)


def _sample(files, out, n, pipeline_args=None, **kwargs):
  import apache_beam as beam  # pylint: disable=g-import-not-at-top
  stats = calibration_sampling.sample_tfrecords(
      files, str(out / "Split-calibration"), str(out / "stats.json"), n,
      make_pipeline=lambda: beam.Pipeline(argv=pipeline_args or []), **kwargs)
  return stats, _read(stats.files)


@pytest.fixture(scope="module")
def uniform(data, tmp_path_factory):
  files, _ = data
  return _sample(files, tmp_path_factory.mktemp("uniform"), 200, seed=1,
                 label_key="label")


def test_uniform_sample_is_exact_distinct_and_from_the_data(data, uniform):
  _, population = data
  stats, records = uniform
  assert stats.sampled == len(records) == 200
  assert stats.population == POPULATION
  assert len(set(records)) == 200
  assert set(records) <= set(population)
  assert os.path.basename(stats.files[0]) == "data_tfrecord-00000-of-00001.gz"
  assert stats.population_by_label == {str(c): n for c, n in enumerate(COUNTS)}
  assert stats.sample_by_label == {str(c): n for c, n in
                                   sorted(_labels(records).items())}


def test_same_seed_same_sample_other_seed_other_sample(data, uniform,
                                                       tmp_path):
  files, _ = data
  _, first = uniform
  _, again = _sample(files, tmp_path / "again", 200, seed=1)
  _, other = _sample(files, tmp_path / "other", 200, seed=2)
  assert again == first  # Same records, same order.
  assert len(set(other) & set(first)) < 100


def test_multi_process_runner_draws_the_same_sample(data, uniform, tmp_path):
  files, _ = data
  _, first = uniform
  stats, records = _sample(files, tmp_path / "mp", 200, MULTI_PROCESS, seed=1)
  assert stats.sampled == 200
  assert records == first


def test_sample_class_mix_matches_population_while_first_n_does_not(
    data, uniform):
  _, population = data
  _, records = uniform
  share = lambda counts, n: np.array([counts.get(c, 0) / n
                                      for c in range(NUM_CLASSES)])
  expected = share(dict(enumerate(COUNTS)), POPULATION)
  sampled = share(_labels(records), 200)
  first_n = share(_labels(population[:200]), 200)  # What x_train[:200] gives.
  tv_sampled = 0.5 * np.abs(sampled - expected).sum()
  tv_first_n = 0.5 * np.abs(first_n - expected).sum()
  print(f"total variation to the population: sample {tv_sampled:.3f}, "
        f"first-200 {tv_first_n:.3f}")
  assert tv_sampled < 0.1
  assert tv_first_n > 0.5
  # Input ranges differ by class: only the sample covers the population's.
  assert _x_max(records) > 0.9 * _x_max(population)
  assert _x_max(population[:200]) < 0.45 * _x_max(population)


def _x_max(records):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  return max(max(tf.train.Example.FromString(r).features.feature["x"]
                 .float_list.value) for r in records)


def test_per_class_takes_exactly_n_of_every_label(data, tmp_path):
  files, _ = data
  stats, records = _sample(files, tmp_path, 30, strategy="per_class",
                           label_key="label", seed=3)
  assert _labels(records) == {c: 30 for c in range(NUM_CLASSES)}
  assert stats.sampled == 300 and len(set(records)) == 300
  assert stats.sample_by_label == {str(c): 30 for c in range(NUM_CLASSES)}


def test_proportional_allocates_exactly_by_label_share(data, tmp_path):
  files, _ = data
  stats, records = _sample(files, tmp_path, 85, strategy="proportional",
                           label_key="label", seed=3)
  # 85 of 850: a tenth of every label, 4 to 13.
  assert _labels(records) == {c: COUNTS[c] // 10 for c in range(NUM_CLASSES)}
  assert stats.sampled == 85


def test_proportional_quotas_sum_exactly_with_remainders():
  quotas = calibration_sampling.proportional_quotas(
      {"a": 1, "b": 1, "c": 1}, 2)
  assert quotas == {"a": 1, "b": 1, "c": 0}
  # 3.5, 1.0 and 0.5: the tie in remainders goes to the first label.
  quotas = calibration_sampling.proportional_quotas({"0": 7, "1": 2, "2": 1}, 5)
  assert quotas == {"0": 4, "1": 1, "2": 0}


def test_sample_larger_than_the_data_is_an_error(data, tmp_path):
  files, _ = data
  with pytest.raises(InsufficientExamplesError,
                     match=r"num_calibration_examples=851 exceeds the 850 "
                     r"examples in .*; allowed: 1 to 850"):
    _sample(files, tmp_path, 851, source="the test data")


def test_per_class_larger_than_a_label_is_an_error(data, tmp_path):
  files, _ = data
  with pytest.raises(InsufficientExamplesError,
                     match=r"=45 per class exceeds the examples of label\(s\) "
                     r"\{'0': 40\}.*at most 40 per class"):
    _sample(files, tmp_path, 45, strategy="per_class", label_key="label")


def test_missing_label_is_an_error(data, tmp_path):
  files, _ = data
  with pytest.raises(InputMismatchError,
                     match=r"label_key 'class' must be a single int64 or bytes "
                     r"value in every example; 850 of the 850"):
    _sample(files, tmp_path, 10, strategy="per_class", label_key="class")


def test_empty_files_are_an_error(tmp_path):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  path = str(tmp_path / "empty.gz")
  with tf.io.TFRecordWriter(path, options="GZIP"):
    pass
  with pytest.raises(InsufficientExamplesError, match="holds no examples"):
    calibration_sampling.check_has_examples([path], "split 'train'")
  with pytest.raises(InsufficientExamplesError,
                     match=r"split 'train' holds no examples"):
    _sample([path], tmp_path, 10, source="split 'train'")


@pytest.mark.parametrize("kwargs, message", [
    ({"num_examples": 0}, "num_calibration_examples must be an integer >= 1; got 0"),
    ({"num_examples": 5, "strategy": "per_class"},
     "sampling 'per_class' needs a label_key; got None"),
    ({"num_examples": 5, "seed": -1},
     "seed must be an integer in [0, 9223372036854775807]; got -1"),
    ({"num_examples": 5, "strategy": "random"}, "sampling must be one of 'uniform', 'per_class', 'proportional'; got 'random'"),
])
def test_bad_arguments_are_refused_before_running(tmp_path, kwargs, message):
  with pytest.raises(ValueError) as e:
    calibration_sampling.sample_tfrecords(
        ["/nonexistent/*.gz"], str(tmp_path / "s"), str(tmp_path / "j"),
        **kwargs)
  assert message in str(e.value)
  assert not os.listdir(tmp_path)
