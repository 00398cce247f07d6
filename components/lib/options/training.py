"""Closed sets of fine-tuning options (no heavy imports)."""

import enum


class Distribution(str, enum.Enum):
  """How fine-tuning spreads over devices and machines (tf.distribute).

  `batch_size` is the global batch: each of N replicas takes batch_size / N
  examples per step. The learning rate is not scaled; with N times the
  batch, the linear scaling rule suggests N times the rate
  (`learning_rate_scale`).
  """

  NONE = "none"  # the default device
  MIRRORED = "mirrored"  # every local GPU (or logical device), one process
  # Workers listed in TF_CONFIG (as Vertex AI / KFP custom jobs set it),
  # each with its local devices; the chief writes the outputs.
  MULTI_WORKER_MIRRORED = "multi_worker_mirrored"
