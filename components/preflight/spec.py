"""Preflight keys and ComponentSpec."""

from tfx.types import component_spec
from tfx.types import standard_artifacts

from tfx_compression.framework import spec_channels
from tfx_compression.framework.spec_channels import EXAMPLES_KEY
from tfx_compression.preflight.config import CONFIG_KEY


class PreflightSpec(component_spec.ComponentSpec):
  """Preflight: the examples in, nothing out (it fails or passes)."""

  PARAMETERS = spec_channels.config_parameter(CONFIG_KEY)
  INPUTS = {EXAMPLES_KEY: spec_channels.channel(standard_artifacts.Examples)}
  OUTPUTS = {}
