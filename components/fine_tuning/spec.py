"""Keys and channels of the components that fine-tune (Pruner, QAT,
WeightClusterer): the Trainer's inputs, and a ModelRun beside the Model."""

from typing import Dict

from tfx.types import component_spec
from tfx.types import standard_artifacts

from tfx_compression.framework import spec_channels
from tfx_compression.framework.spec_channels import EXAMPLES_KEY
from tfx_compression.framework.spec_channels import MODEL_KEY
from tfx_compression.framework.spec_channels import SCHEMA_KEY
from tfx_compression.framework.spec_channels import TRANSFORM_GRAPH_KEY

MODEL_RUN_KEY = "model_run"
HISTORY_FILE = "history.json"  # <model_run uri>/history.json: per-epoch metrics

# Inputs of a fine-tuning component, as the Trainer takes them.
INPUTS = {
    EXAMPLES_KEY: spec_channels.channel(standard_artifacts.Examples),
    MODEL_KEY: spec_channels.channel(standard_artifacts.Model),
    SCHEMA_KEY: spec_channels.channel(standard_artifacts.Schema, optional=True),
    TRANSFORM_GRAPH_KEY: spec_channels.channel(standard_artifacts.TransformGraph,
                                               optional=True),
}


def outputs(key: str) -> Dict[str, component_spec.ChannelParameter]:
  """OUTPUTS of a fine-tuning component: its Model `key` and the ModelRun."""
  return {**spec_channels.model_output(key),
          MODEL_RUN_KEY: spec_channels.channel(standard_artifacts.ModelRun)}
