"""tf.Example data: reading records into model inputs, and checking them.

- examples_io: TFRecord files -> numpy model inputs; damaged files named.
- example_stats: one pass over a split: feature presence, lengths, labels.
- feature_space: how serialized records become a model's inputs (directly or
  through the Transform graph).
"""
