"""ComponentSpec entries the components share, and building a spec from them.

Every component's spec takes its config as one JSON execution parameter
(`config_parameter`), most take a `model` (and the converters optional
`examples` and `transform_graph`), and each output is a new channel of its
declared type (`build_spec`). The keys are what compiled pipelines and MLMD
record, so each is defined once and never renamed.

Imports no TensorFlow library of ours.
"""

from typing import Any, Dict

from tfx import types
from tfx.types import component_spec
from tfx.types import standard_artifacts

# The input keys every component names its inputs by, as the Trainer does.
EXAMPLES_KEY = "examples"
MODEL_KEY = "model"
SCHEMA_KEY = "schema"
TRANSFORM_GRAPH_KEY = "transform_graph"


def channel(artifact_type: type,
            optional: bool = False) -> component_spec.ChannelParameter:
  """A ChannelParameter of `artifact_type`."""
  return component_spec.ChannelParameter(type=artifact_type, optional=optional)


def config_parameter(key: str) -> Dict[str, component_spec.ExecutionParameter]:
  """PARAMETERS of a component: its config's one JSON exec property `key`."""
  return {key: component_spec.ExecutionParameter(type=str)}


def model_input() -> Dict[str, component_spec.ChannelParameter]:
  """INPUTS entry of the Model a component compresses or converts."""
  return {MODEL_KEY: channel(standard_artifacts.Model)}


def conversion_inputs() -> Dict[str, component_spec.ChannelParameter]:
  """INPUTS of a TFLite converter: a Model, optional Examples and TransformGraph."""
  return {
      **model_input(),
      EXAMPLES_KEY: channel(standard_artifacts.Examples, optional=True),
      TRANSFORM_GRAPH_KEY: channel(standard_artifacts.TransformGraph,
                                   optional=True),
  }


def model_output(key: str) -> Dict[str, component_spec.ChannelParameter]:
  """OUTPUTS entry `key`: the Model a component writes."""
  return {key: channel(standard_artifacts.Model)}


def build_spec(spec_class: type, config: Any,
               **inputs: types.BaseChannel) -> component_spec.ComponentSpec:
  """`spec_class` with `inputs`, a new channel per output and `config`.

  Args:
    spec_class: The component's ComponentSpec class.
    config: The component's config (a `config_utils.JsonConfig`): its one
      exec property is passed.
    **inputs: Input key -> channel (None for an optional input left out).

  Returns:
    The spec, each OUTPUTS key holding a new `types.Channel` of its type.
  """
  outputs = {key: types.Channel(type=parameter.type)
             for key, parameter in spec_class.OUTPUTS.items()}
  return spec_class(**inputs, **outputs, **config.to_exec_properties())
