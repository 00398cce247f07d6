"""CompressionEvaluator keys and ComponentSpec (imports no TensorFlow library of ours)."""

from tfx.types import component_spec
from tfx.types import standard_artifacts

from tfx_compression.framework import spec_channels
from tfx_compression.compression_evaluator.config import CONFIG_KEY
from tfx_compression.framework.spec_channels import channel
from tfx_compression.framework.spec_channels import EXAMPLES_KEY
from tfx_compression.framework.spec_channels import TRANSFORM_GRAPH_KEY

BASELINE_MODEL_KEY = "baseline_model"
# The host pipeline's latest blessed model (a second baseline).
BLESSED_BASELINE_MODEL_KEY = "blessed_baseline_model"
EVALUATION_KEY = "evaluation"
BLESSING_KEY = "blessing"

REPORT_HTML_FILE = "report.html"


class CompressionEvaluatorSpec(component_spec.ComponentSpec):
  """CompressionEvaluator: Examples, candidate and baseline in; evaluation and blessing out."""

  PARAMETERS = spec_channels.config_parameter(CONFIG_KEY)
  INPUTS = {
      EXAMPLES_KEY: channel(standard_artifacts.Examples),
      **spec_channels.model_input(),
      BASELINE_MODEL_KEY: channel(standard_artifacts.Model),
      TRANSFORM_GRAPH_KEY: channel(standard_artifacts.TransformGraph,
                                   optional=True),
      BLESSED_BASELINE_MODEL_KEY: channel(standard_artifacts.Model,
                                          optional=True),
  }
  OUTPUTS = {
      EVALUATION_KEY: channel(standard_artifacts.ModelEvaluation),
      BLESSING_KEY: channel(standard_artifacts.ModelBlessing),
  }
