"""Preflight: the plan checked against the examples before any training."""

from typing import Optional

from tfx import types
from tfx.dsl.components.base import base_component
from tfx.dsl.components.base import executor_spec

from tfx_compression.framework import config_utils
from tfx_compression.framework import spec_channels
from tfx_compression.preflight import executor
from tfx_compression.preflight import spec
from tfx_compression.preflight.config import PreflightConfig


class Preflight(base_component.BaseComponent):
  """Fails the run early when the examples cannot give what the plan asks.

  Make the Trainer wait for it (`trainer.add_upstream_node(preflight)`), so
  that an explicit sample size larger than its split, or a label key the
  examples lack, fails before training, naming the plan key.
  """

  SPEC_CLASS = spec.PreflightSpec
  EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

  def __init__(self, examples: types.BaseChannel,
               config: Optional[PreflightConfig] = None):
    """Constructs a Preflight.

    Args:
      examples: ExampleGen's Examples.
      config: A `PreflightConfig`, e.g. `requirements(plan)`.
    """
    config = config_utils.config_or_default(config, PreflightConfig)
    super().__init__(spec=spec_channels.build_spec(self.SPEC_CLASS, config,
                                                   examples=examples))
