"""The evaluator's prediction pass as a Beam job.

Reads the eval split, batches records per worker, runs every side's model
on each batch (`predictions.annotate`: the same records the in-process
pass writes) and writes them as gzipped TFRecord shards that TFMA reads.
It runs on the runner `beam_pipeline_args` name (DirectRunner by default,
`--direct_running_mode=multi_processing --direct_num_workers=N` for N local
processes, Dataflow, Flink, Spark). Workers rebuild each model from its
`predictors.Predictor`; in the process that built the sides the models
already loaded are used.
"""

import os
from typing import Any, Dict, List, Optional, Sequence

import apache_beam as beam

from tfx_compression.compression_evaluator import predictions

SHARD_PREFIX = "predictions"
SHARD_SUFFIX = ".tfrecord.gz"
RECORDS_COUNTER = "records_predicted"


class _Annotate(beam.DoFn):
  """Predicts on a batch of records; yields them with the predictions."""

  def __init__(self, predictor_specs, output_key, model_task, label_space):
    super().__init__()
    self._specs = list(predictor_specs)
    self._output_key, self._task = output_key, model_task
    self._label_space = label_space
    self._records = beam.metrics.Metrics.counter("CompressionEvaluator",
                                                 RECORDS_COUNTER)
    self._predicts = None

  def setup(self):
    from tfx_compression.compression_evaluator import predictors  # pylint: disable=g-import-not-at-top
    self._predicts = {p.role: predictors.build(p) for p in self._specs}

  def process(self, batch):
    self._records.inc(len(batch))
    yield from predictions.annotate(batch, self._predicts, self._output_key,
                                    self._task, self._label_space)


def write(files: Sequence[str], sides, output_key: str, output_dir: str,
          model_task, label_space=None,
          beam_pipeline_args: Optional[List[str]] = None,
          batch_size: int = predictions.BATCH_SIZE) -> Dict[str, Any]:
  """Writes the eval records with each side's predictions, as a Beam job.

  Args:
    files: The eval split's TFRecord files.
    sides: `models.Side`s (their `predictor`s travel to the workers).
    output_key, model_task, label_space: See `predictions.annotate`.
    output_dir: Where the shards go.
    beam_pipeline_args: The runner and its options.
    batch_size: Most records per model call.

  Returns:
    {'examples': records written, 'files': the shards}.
  """
  # pylint: disable=g-import-not-at-top
  import tensorflow as tf
  from apache_beam.io.filesystem import CompressionTypes
  from apache_beam.options.pipeline_options import PipelineOptions
  from tfx_compression.lib.data import examples_io
  # pylint: enable=g-import-not-at-top
  tf.io.gfile.makedirs(output_dir)
  prefix = os.path.join(output_dir, SHARD_PREFIX)
  compression = (CompressionTypes.GZIP
                 if examples_io.compression_of(files) == "GZIP"
                 else CompressionTypes.UNCOMPRESSED)
  pipeline = beam.Pipeline(options=PipelineOptions(beam_pipeline_args or []))
  _ = (pipeline
       | "EvalFiles" >> beam.Create(list(files))
       | "Read" >> beam.io.ReadAllFromTFRecord(compression_type=compression)
       | "Batch" >> beam.BatchElements(min_batch_size=min(32, batch_size),
                                       max_batch_size=batch_size)
       | "Predict" >> beam.ParDo(_Annotate(
           [s.predictor for s in sides], output_key, model_task,
           label_space))
       | "Write" >> beam.io.WriteToTFRecord(
           prefix, file_name_suffix=SHARD_SUFFIX,
           compression_type=CompressionTypes.GZIP))
  result = pipeline.run()
  result.wait_until_finish()
  shards = sorted(tf.io.gfile.glob(prefix + "*" + SHARD_SUFFIX))
  return {"examples": _count(result, shards), "files": shards}


def _count(result, shards: Sequence[str]) -> int:
  """Records predicted, from the job's counter (or the shards, where the
  runner reports no metrics)."""
  from apache_beam.metrics.metric import MetricsFilter  # pylint: disable=g-import-not-at-top
  try:
    counters = result.metrics().query(
        MetricsFilter().with_name(RECORDS_COUNTER))["counters"]
  except (NotImplementedError, KeyError, AttributeError):
    counters = []
  if counters:
    return int(sum(c.committed if c.committed is not None else c.attempted
                   for c in counters))
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  return sum(1 for _ in tf.data.TFRecordDataset(
      list(shards), compression_type="GZIP"))
