"""The evaluator's prediction pass as a Beam job equals the in-process one."""

import numpy as np
import tensorflow as tf

from tfx_compression.compression_evaluator import models
from tfx_compression.compression_evaluator import prediction_job
from tfx_compression.compression_evaluator import predictions
from tfx_compression.compression_evaluator import predictors
from tfx_compression.compression_evaluator import runner
from tfx_compression.framework import artifact_io
from tfx_compression.lib.data import examples_io
from tfx_compression.lib.evaluation import task as task_lib


def _records(files):
  """{the record without predictions: {prediction feature: values}}."""
  found = {}
  for record in tf.data.TFRecordDataset(files, compression_type="GZIP"):
    example = tf.train.Example.FromString(record.numpy())
    features = example.features.feature
    values = {}
    for name in [k for k in features
                 if k.startswith(predictions.PREDICTION_PREFIX)]:
      values[name] = np.asarray(features[name].float_list.value)
      del features[name]
    found[example.SerializeToString(deterministic=True)] = values
  return found


def test_beam_prediction_pass_equals_the_in_process_one(trained_pipeline,
                                                        float_tflite,
                                                        tmp_path):
  files = artifact_io.split_files(trained_pipeline.examples, "eval")
  source = lambda role, artifact, tflite: models.ModelSource(
      role, artifact.uri, artifact_io.serving_dir(artifact.uri), tflite)
  sides = runner._sides(  # pylint: disable=protected-access
      [source("candidate", float_tflite, True),
       source("baseline", trained_pipeline.model, False)],
      files, examples_io.feature_keys(files), None, str(tmp_path))
  key = models.prediction_key(None, sides)
  model_task = task_lib.ModelTask(task_lib.Task.MULTICLASS, 10,
                                  task_lib.Scores.PROBABILITIES, "test")
  local = predictions.write(files, sides, key, str(tmp_path / "local"),
                            model_task)
  # The workers rebuild both models from their Predictors, as a remote
  # runner's would (nothing registered in this process).
  predictors.release()
  beam = prediction_job.write(
      files, sides, key, str(tmp_path / "beam"), model_task,
      beam_pipeline_args=["--runner=DirectRunner"], batch_size=50)
  assert beam["examples"] == local["examples"] > 100
  assert all(f.endswith(prediction_job.SHARD_SUFFIX) for f in beam["files"])
  expected, got = _records(local["files"]), _records(beam["files"])
  assert set(got) == set(expected)  # the same records, in any order
  for record, values in expected.items():
    assert sorted(got[record]) == [predictions.feature_name(r) for r in
                                   ("baseline", "candidate")]
    for name, value in values.items():
      np.testing.assert_allclose(got[record][name], value, atol=1e-6)


def test_batched_tflite_prediction_equals_one_example_at_a_time(float_tflite,
                                                                eval_inputs):
  from tfx_compression.lib.tflite import inference  # pylint: disable=g-import-not-at-top
  data = open(artifact_io.tflite_path(float_tflite.uri), "rb").read()
  inputs, _ = eval_inputs
  one = inference.predict(data, inputs)
  batched = inference.predict_batched(data, inputs, batch_size=64)
  for name, values in one.items():
    np.testing.assert_allclose(batched[name], values, atol=1e-6)
