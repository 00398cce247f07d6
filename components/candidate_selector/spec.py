"""CandidateSelector keys, artifact type and ComponentSpec (imports nothing heavy).

A pipeline builds any number of candidates, so the inputs are repeated
ChannelParameters, three per candidate: `model_<i>`, `evaluation_<i>`,
`blessing_<i>` (i = 0 .. n-1, in the order of the config's `variants`).
`spec_class(n)` makes the ComponentSpec with those keys. Each key holds one
plain Channel, which is what the Kubeflow V2 compiler takes (it refuses
union channels: "Only single Channel is supported").
"""

import functools

from tfx.types import artifact
from tfx.types import component_spec
from tfx.types import standard_artifacts

from tfx_compression.framework import spec_channels
from tfx_compression.candidate_selector.config import CONFIG_KEY
from tfx_compression.framework.spec_channels import channel
from tfx_compression.framework.spec_channels import MODEL_KEY

MODEL_PREFIX = "model_"
EVALUATION_PREFIX = "evaluation_"
BLESSING_PREFIX = "blessing_"
# Outputs, besides MODEL_KEY (spec_channels).
BLESSING_KEY = "blessing"
COMPARISON_KEY = "comparison"

COMPARISON_JSON_FILE = "comparison.json"
COMPARISON_HTML_FILE = "comparison.html"

# Custom properties of the output model, blessing and comparison.
PROP_SELECTED_VARIANT = "selected_variant"
PROP_SELECTED_MODEL_ID = "selected_model_id"
PROP_OBJECTIVE = "objective"


def model_key(index: int) -> str:
  return f"{MODEL_PREFIX}{index}"


def evaluation_key(index: int) -> str:
  return f"{EVALUATION_PREFIX}{index}"


def blessing_key(index: int) -> str:
  return f"{BLESSING_PREFIX}{index}"


class CandidateComparison(artifact.Artifact):
  """Every candidate's figures and the choice: comparison.json and .html."""

  # '<package>.<Class>': the Kubeflow V2 compiler takes a custom type only
  # under such a name, and its container imports the class by it (the
  # package exports it lazily).
  TYPE_NAME = "tfx_compression.CandidateComparison"


class CandidateSelectorSpec(component_spec.ComponentSpec):
  """CandidateSelector: n x (Model, ModelEvaluation, ModelBlessing) in;
  the winner's Model and ModelBlessing and a comparison out.

  The inputs are made per number of candidates by `spec_class`.
  """

  PARAMETERS = spec_channels.config_parameter(CONFIG_KEY)
  INPUTS = {}
  OUTPUTS = {
      **spec_channels.model_output(MODEL_KEY),
      BLESSING_KEY: channel(standard_artifacts.ModelBlessing),
      COMPARISON_KEY: channel(CandidateComparison),
  }


@functools.lru_cache(maxsize=None)
def spec_class(num_candidates: int) -> type:
  """The CandidateSelectorSpec subclass with the inputs of `num_candidates`."""
  inputs = {}
  for i in range(num_candidates):
    inputs[model_key(i)] = channel(standard_artifacts.Model)
    inputs[evaluation_key(i)] = channel(standard_artifacts.ModelEvaluation)
    inputs[blessing_key(i)] = channel(standard_artifacts.ModelBlessing)
  return type(f"CandidateSelectorSpec{num_candidates}",
              (CandidateSelectorSpec,), {"INPUTS": inputs})
