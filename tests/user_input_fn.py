"""A Trainer-style input function, loaded by tests through `module_file`."""

import tensorflow as tf


def input_fn(file_pattern, data_accessor, tf_transform_output, batch_size):
  """Reads digits tf.Examples into ({'image': ...}, label) batches, repeating."""
  del data_accessor, tf_transform_output  # The digits need no transform.
  files = sorted(f for p in file_pattern for f in tf.io.gfile.glob(p))
  spec = {"image": tf.io.FixedLenFeature([64], tf.float32),
          "label": tf.io.FixedLenFeature([], tf.int64)}
  ds = tf.data.TFRecordDataset(files, compression_type="GZIP").repeat()
  return ds.batch(batch_size).map(lambda s: tf.io.parse_example(s, spec)).map(
      lambda f: ({"image": f["image"]}, f["label"]))
