"""Keys and channels shared by the specs of components that fine-tune."""

from tfx.types import component_spec
from tfx.types import standard_artifacts

EXAMPLES_KEY = "examples"
MODEL_KEY = "model"
SCHEMA_KEY = "schema"
TRANSFORM_GRAPH_KEY = "transform_graph"
MODEL_RUN_KEY = "model_run"
HISTORY_FILE = "history.json"  # <model_run uri>/history.json: per-epoch metrics

# Inputs of a fine-tuning component, as the Trainer takes them.
INPUTS = {
    EXAMPLES_KEY: component_spec.ChannelParameter(
        type=standard_artifacts.Examples),
    MODEL_KEY: component_spec.ChannelParameter(type=standard_artifacts.Model),
    SCHEMA_KEY: component_spec.ChannelParameter(
        type=standard_artifacts.Schema, optional=True),
    TRANSFORM_GRAPH_KEY: component_spec.ChannelParameter(
        type=standard_artifacts.TransformGraph, optional=True),
}
MODEL_RUN_OUTPUT = component_spec.ChannelParameter(
    type=standard_artifacts.ModelRun)
