"""Preflight executor: the plan's requirements against the examples."""

from tfx.dsl.components.base import base_executor
from tfx.types import artifact_utils

from tfx_compression.framework import spec_channels
from tfx_compression.framework import artifact_io
from tfx_compression.framework import step_executor
from tfx_compression.preflight import runner
from tfx_compression.preflight.config import PreflightConfig


class Executor(step_executor.StepExecutor, base_executor.BaseExecutor):
  """Counts what the plan needs (never more records than it asks for)."""

  COMPONENT = "Preflight"
  CONFIG = PreflightConfig
  SOURCE_KEY = spec_channels.EXAMPLES_KEY
  CANDIDATE = False

  def run(self, config, inputs, outputs) -> str:
    from tfx_compression.lib.data import examples_io  # pylint: disable=g-import-not-at-top
    examples = inputs[spec_channels.EXAMPLES_KEY]
    files = lambda split: artifact_io.split_files(examples, split)
    return runner.check(
        config, artifact_utils.decode_split_names(examples.split_names),
        lambda split, limit: examples_io.count_records(files(split), limit),
        lambda split: examples_io.feature_keys(files(split)), _known_metric)


def _known_metric(class_name: str) -> bool:
  # pylint: disable=g-import-not-at-top
  import tensorflow_model_analysis as tfma
  import tf_keras
  return any(hasattr(module, class_name)
             for module in (tfma.metrics, tf_keras.metrics))
