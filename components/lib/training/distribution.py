"""Fine-tuning under a tf.distribute strategy.

The input model was loaded outside any strategy; under one it is cloned
into the strategy's scope (`adopt`), so its variables, the tfmot wrappers'
and the optimizer's are mirrored across replicas. The exported model has
the same layers and weights structure as without distribution.
"""

import contextlib
import json
import os
from typing import Optional

from tfx_compression.errors import CompressionConfigError
from tfx_compression.lib.options.training import Distribution


_STRATEGIES = {}  # one per process and kind: TF allows one collective setup


def start(distribution: Distribution):
  """Creates the process's strategy for `distribution` now.

  `multi_worker_mirrored` configures collective ops, which TensorFlow allows
  only before it runs anything else in the process: executors call this
  first. Returns the strategy (None for 'none').

  Raises:
    CompressionConfigError: TF_CONFIG is missing, or TensorFlow already ran
      in this process (e.g. the local DAG runner's process).
  """
  return strategy_for(distribution)


def strategy_for(distribution: Distribution):
  """The process's tf.distribute strategy of `distribution` (None for
  'none'), created on first use."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  distribution = Distribution(distribution)
  if distribution is Distribution.NONE:
    return None
  if distribution in _STRATEGIES:
    return _STRATEGIES[distribution]
  if distribution is Distribution.MIRRORED:
    return _STRATEGIES.setdefault(distribution,
                                  tf.distribute.MirroredStrategy())
  if not os.environ.get("TF_CONFIG"):
    raise CompressionConfigError(
        "fine_tuning.distribution 'multi_worker_mirrored' reads the workers "
        "from the TF_CONFIG environment variable, which is not set; run the "
        "step as a multi-worker custom job (Vertex AI, KFP) or use "
        "'mirrored' for the devices of one machine")
  try:
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
  except RuntimeError as e:
    if "program startup" not in str(e):
      raise
    raise CompressionConfigError(
        "fine_tuning.distribution 'multi_worker_mirrored' must start before "
        "TensorFlow runs anything else in the process, and it already ran "
        "here: run the step in its own process (its Kubeflow/Vertex "
        "container, one per worker); in one process use 'mirrored'") from e
  return _STRATEGIES.setdefault(distribution, strategy)


@contextlib.contextmanager
def scope(distribution: Distribution):
  """Yields the strategy (None for 'none') with its scope entered."""
  strategy = strategy_for(distribution)
  if strategy is None:
    yield None
    return
  with strategy.scope():
    yield strategy


def replicas(strategy) -> int:
  return 1 if strategy is None else int(strategy.num_replicas_in_sync)


def adopt(model, strategy):
  """`model` rebuilt in the current strategy scope with its weights (the
  same model when `strategy` is None)."""
  if strategy is None:
    return model
  import tf_keras  # pylint: disable=g-import-not-at-top
  clone = tf_keras.models.clone_model(model)
  clone.set_weights(model.get_weights())
  return clone


def is_chief(tf_config: Optional[str] = None) -> bool:
  """Whether this process writes the outputs: no TF_CONFIG, its 'chief',
  or worker 0 of a cluster without a chief."""
  raw = os.environ.get("TF_CONFIG", "") if tf_config is None else tf_config
  if not raw:
    return True
  config = json.loads(raw)
  task = config.get("task") or {}
  kind, index = task.get("type", "worker"), int(task.get("index", 0))
  if "chief" in (config.get("cluster") or {}):
    return kind == "chief"
  return kind == "worker" and index == 0
