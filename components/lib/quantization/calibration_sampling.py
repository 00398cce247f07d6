"""Drawing a calibration sample from tf.Example TFRecord files with Apache Beam.

Every record gets a pseudo-random 64-bit key, a keyed hash of its bytes and
the seed; the sample is the N records with the largest keys. That is a
uniform sample without replacement that depends only on the data and the
seed, not on the runner, the sharding or the record order.
Beam's Top combiners keep at most N records per bundle and per key, so memory
is bounded by the sample size (N x number of labels for the stratified
strategies), never by the size of the data set.

The sample is written as one gzipped TFRecord file, as ExampleGen writes
splits, and a JSON file of counts next to it.
"""

import collections
import dataclasses
import hashlib
import json
import os
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import apache_beam as beam

from tfx_compression.framework import config_utils
from tfx_compression.errors import CompressionConfigError
from tfx_compression.errors import InputMismatchError
from tfx_compression.errors import InsufficientExamplesError  # pylint: disable=unused-import
from tfx_compression.lib.options.quantization import SamplingStrategy

SAMPLE_FILE_PREFIX = "data_tfrecord"
SAMPLE_FILE_SUFFIX = ".gz"
STATS_FILE = "sampling_stats.json"
_MAX_SEED = 2**63 - 1


@dataclasses.dataclass(frozen=True)
class SampleStats:
  """What the sampler read and wrote."""

  population: int
  sampled: int
  # Label value (as a string) -> count; empty without a label key.
  population_by_label: Dict[str, int]
  sample_by_label: Dict[str, int]
  files: List[str]


def sample_key(record: bytes, seed: int) -> int:
  """The record's pseudo-random sampling key under `seed`."""
  digest = hashlib.blake2b(record, digest_size=8,
                           key=seed.to_bytes(8, "little")).digest()
  return int.from_bytes(digest, "little")


def label_of(record: bytes, label_key: str) -> Optional[str]:
  """The label of a serialized tf.Example as a string.

  Returns:
    The single int64 or bytes value of feature `label_key`, or None when the
    feature is missing, empty, has several values or holds floats.
  """
  from tensorflow.core.example import example_pb2  # pylint: disable=g-import-not-at-top
  features = example_pb2.Example.FromString(record).features.feature
  if label_key not in features:
    return None
  feature = features[label_key]
  kind = feature.WhichOneof("kind")
  if kind not in ("int64_list", "bytes_list"):
    return None
  values = getattr(feature, kind).value
  if len(values) != 1:
    return None
  value = values[0]
  return (value.decode("utf-8", "backslashreplace")
          if isinstance(value, bytes) else str(value))


def _sort_labels(labels: Iterable[str]) -> List[str]:
  """Numeric labels in numeric order, others after them in string order."""
  def key(label):
    try:
      return (0, int(label), "")
    except ValueError:
      return (1, 0, label)
  return sorted(labels, key=key)


def proportional_quotas(counts: Dict[str, int], total: int) -> Dict[str, int]:
  """Splits `total` across labels in proportion to `counts` (largest remainder).

  The quotas sum to `total` exactly; ties in the remainder go to the label
  that sorts first. No quota exceeds its count when total <= sum(counts).
  """
  population = sum(counts.values())
  if population == 0:
    return {label: 0 for label in counts}
  exact = {label: total * n / population for label, n in counts.items()}
  quotas = {label: int(e) for label, e in exact.items()}
  by_remainder = sorted(_sort_labels(counts),
                        key=lambda label: -(exact[label] - quotas[label]))
  for label in by_remainder[:total - sum(quotas.values())]:
    quotas[label] += 1
  return quotas


# Elements flow as (label, (key, record)); the sample as a list of
# (label, key, record). `label` is "" without a label key and None for an
# example without a usable label.


def _keyed(record: bytes, seed: int, label_key: Optional[str]):
  label = label_of(record, label_key) if label_key else ""
  return label, (sample_key(record, seed), record)


def _key_first(element):
  label, (key, record) = element
  return key, label, record


def _label_first(items):
  return [(label, key, record) for key, label, record in items]


def _take_quota(element, counts, n):
  label, top = element
  labelled = {k: v for k, v in counts.items() if k is not None}
  return label, top[:proportional_quotas(labelled, n)[label]]


def _per_label_items(element):
  label, top = element
  return [(label, key, record) for key, record in top]


def _random_order(items):
  """Largest key first: a pseudo-random order, not label order."""
  return sorted(items, key=lambda t: (t[1], t[2]), reverse=True)


def _records(items):
  return [record for _, _, record in items]


def _stats(_, population, sample):
  """The counts as JSON; examples without a usable label counted apart."""
  by_label = collections.Counter(label for label, _, _ in sample)
  population = dict(population)
  unlabelled = population.pop(None, 0)
  by_label.pop(None, None)
  return json.dumps({
      "without_label": unlabelled,
      "population_by_label": {k: population[k]
                              for k in _sort_labels(population)},
      "sample_by_label": {k: by_label[k] for k in _sort_labels(by_label)},
  })


def _sample(labelled, n: int, strategy: SamplingStrategy, counts):
  """The N largest keys overall, or per label: one list of (label, key, record)."""
  if strategy is SamplingStrategy.UNIFORM:
    return (labelled
            | "KeyFirst" >> beam.Map(_key_first)
            | "TopN" >> beam.combiners.Top.Of(n)
            | "LabelFirst" >> beam.Map(_label_first))
  tops = (labelled
          | "HasLabel" >> beam.Filter(lambda element: element[0] is not None)
          | "TopNPerLabel" >> beam.combiners.Top.PerKey(n))
  if strategy is SamplingStrategy.PROPORTIONAL:
    tops = tops | "Quota" >> beam.Map(
        _take_quota, counts=beam.pvalue.AsDict(counts), n=n)
  return (tops
          | "PerLabelItems" >> beam.FlatMap(_per_label_items)
          | "Collect" >> beam.combiners.ToList())


def _build(pipeline, file_patterns, split_dir, stats_path, num_examples,
           strategy, label_key, seed) -> None:
  reads = [pipeline | f"Read[{i}]" >> beam.io.ReadFromTFRecord(pattern)
           for i, pattern in enumerate(file_patterns)]
  labelled = (reads | "Union" >> beam.Flatten()
              | "Key" >> beam.Map(_keyed, seed=seed, label_key=label_key))
  counts = (labelled | "Label" >> beam.Map(lambda element: element[0])
            | "CountPerLabel" >> beam.combiners.Count.PerElement())
  sample = (_sample(labelled, num_examples, strategy, counts)
            | "RandomOrder" >> beam.Map(_random_order))
  _ = (sample
       | "Records" >> beam.FlatMap(_records)
       | "Write" >> beam.io.WriteToTFRecord(
           os.path.join(split_dir, SAMPLE_FILE_PREFIX),
           file_name_suffix=SAMPLE_FILE_SUFFIX, num_shards=1))
  _ = (pipeline
       | "One" >> beam.Create([None])
       | "Stats" >> beam.Map(
           _stats, population=beam.pvalue.AsList(counts),
           sample=beam.pvalue.AsSingleton(sample))
       | "WriteStats" >> beam.io.WriteToText(
           stats_path, num_shards=1, shard_name_template=""))


def _read_stats(stats_path: str, split_dir: str) -> Tuple[dict, List[str]]:
  from apache_beam.io.filesystems import FileSystems  # pylint: disable=g-import-not-at-top
  with FileSystems.open(stats_path) as f:
    stats = json.loads(f.read().decode("utf-8"))
  pattern = os.path.join(split_dir, f"{SAMPLE_FILE_PREFIX}*{SAMPLE_FILE_SUFFIX}")
  files = sorted(m.path for r in FileSystems.match([pattern])
                 for m in r.metadata_list)
  return stats, files


def check_has_examples(files: Sequence[str], source: str) -> None:
  """Raises InsufficientExamplesError if the TFRecord `files` hold no record."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.data import examples_io  # pylint: disable=g-import-not-at-top
  ds = tf.data.TFRecordDataset(list(files), examples_io.compression_of(files))
  if not list(ds.take(1)):
    raise InsufficientExamplesError(
        f"{source} holds no examples (its files {list(files)} are empty).")


def _check_sample(stats, num_examples, strategy, label_key, source) -> None:
  population = stats["population_by_label"]
  unlabelled = stats["without_label"]
  total = sum(population.values()) + unlabelled
  if total == 0:
    raise InsufficientExamplesError(f"{source} holds no examples.")
  if unlabelled:
    raise InputMismatchError(
        f"label_key {label_key!r} must be a single int64 or bytes value in "
        f"every example; {unlabelled} of the {total} examples of {source} "
        "have none, several or float values.")
  if strategy is SamplingStrategy.PER_CLASS:
    short = {k: n for k, n in population.items() if n < num_examples}
    if short:
      raise InsufficientExamplesError(
          f"num_calibration_examples={num_examples} per class exceeds the "
          f"examples of label(s) {dict(sorted(short.items()))} in {source}; "
          f"allowed: at most {min(population.values())} per class.")
  elif num_examples > total:
    raise InsufficientExamplesError(
        f"num_calibration_examples={num_examples} exceeds the {total} "
        f"examples in {source}; allowed: 1 to {total}.")


def _is_int(value) -> bool:
  return isinstance(value, int) and not isinstance(value, bool)


def sample_tfrecords(
    file_patterns: Sequence[str],
    split_dir: str,
    stats_path: str,
    num_examples: int,
    strategy: SamplingStrategy = SamplingStrategy.UNIFORM,
    label_key: Optional[str] = None,
    seed: int = 0,
    make_pipeline: Optional[Callable[[], "beam.Pipeline"]] = None,
    source: Optional[str] = None) -> SampleStats:
  """Samples tf.Example records and writes them as a gzipped TFRecord file.

  Args:
    file_patterns: Globs of TFRecord files (gzipped if named `*.gz`).
    split_dir: Directory for the sample, `data_tfrecord-00000-of-00001.gz`.
    stats_path: Where to write the counts as JSON.
    num_examples: Sample size; per label for `PER_CLASS`.
    strategy: How to draw the sample.
    label_key: Feature holding the label (single int64 or bytes value);
      required for the stratified strategies, optional (for the counts in
      the stats) with `UNIFORM`.
    seed: Non-negative integer; the same seed and data give the same sample.
    make_pipeline: Returns the Beam pipeline to run on (a TFX executor's
      `_make_beam_pipeline`); defaults to the DirectRunner.
    source: How error messages name the input; defaults to the patterns.

  Returns:
    The counts of the population and of the sample.

  Raises:
    CompressionConfigError: an argument is out of range.
    InsufficientExamplesError: fewer examples than the sample size (or, per
      class, fewer examples of some label), or none at all.
    InputMismatchError: an example has no usable `label_key` value.
  """
  strategy = config_utils.parse_enum(SamplingStrategy, strategy, "sampling")
  if not _is_int(num_examples) or num_examples < 1:
    raise CompressionConfigError(
        f"num_calibration_examples must be an integer >= 1; got {num_examples!r}")
  if not _is_int(seed) or not 0 <= seed <= _MAX_SEED:
    raise CompressionConfigError(
        f"seed must be an integer in [0, {_MAX_SEED}]; got {seed!r}")
  if strategy is not SamplingStrategy.UNIFORM and not label_key:
    raise CompressionConfigError(
        f"sampling {strategy.value!r} needs a label_key; got {label_key!r}")
  if not file_patterns:
    raise CompressionConfigError("file_patterns must name at least one file")
  source = source or f"files {list(file_patterns)}"
  pipeline = make_pipeline() if make_pipeline else beam.Pipeline()
  with pipeline:
    _build(pipeline, list(file_patterns), split_dir, stats_path, num_examples,
           strategy, label_key or None, seed)
  stats, files = _read_stats(stats_path, split_dir)
  _check_sample(stats, num_examples, strategy, label_key, source)
  sample_by_label = stats["sample_by_label"]
  keep = bool(label_key)
  return SampleStats(
      population=sum(stats["population_by_label"].values()),
      sampled=sum(sample_by_label.values()),
      population_by_label=({k: stats["population_by_label"][k] for k in
                            _sort_labels(stats["population_by_label"])}
                           if keep else {}),
      sample_by_label=({k: sample_by_label[k] for k in
                        _sort_labels(sample_by_label)} if keep else {}),
      files=files)
