"""One check shared by the exporters' tests: the exported serving signature."""

import numpy as np

from tfx_compression.framework import artifact_io


def assert_serves_like_keras(model_uri, examples, eval_inputs,
                             min_accuracy: float) -> None:
  """`serving_default` of the Model at `model_uri` parses serialized
  examples and answers like the exported Keras model, accurately."""
  # pylint: disable=g-import-not-at-top
  import tensorflow as tf
  from tfx_compression.lib.keras import saved_model_io
  # pylint: enable=g-import-not-at-top
  path = artifact_io.serving_dir(model_uri)
  serving = tf.saved_model.load(path).signatures["serving_default"]
  (name, spec), = serving.structured_input_signature[1].items()
  assert (name, spec.dtype) == ("examples", tf.string)
  assert list(serving.structured_outputs) == ["probabilities"]
  files = artifact_io.split_files(examples, "eval")
  records = [r.numpy() for r in tf.data.TFRecordDataset(
      files, compression_type="GZIP").take(200)]
  served = serving(tf.constant(records))["probabilities"].numpy()
  keras = saved_model_io.load_keras_model(path).predict(eval_inputs[0], verbose=0)
  np.testing.assert_allclose(served, keras, atol=1e-5)
  assert np.mean(np.argmax(served, 1) == eval_inputs[1]) > min_accuracy
