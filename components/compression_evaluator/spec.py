"""CompressionEvaluator keys and ComponentSpec (imports no TensorFlow library of ours)."""

from tfx.types import component_spec
from tfx.types import standard_artifacts

from tfx_compression.compression_evaluator.config import CONFIG_KEY  # pylint: disable=unused-import

EXAMPLES_KEY = "examples"
MODEL_KEY = "model"
BASELINE_MODEL_KEY = "baseline_model"
# The host pipeline's latest blessed model (a second baseline).
BLESSED_BASELINE_MODEL_KEY = "blessed_baseline_model"
TRANSFORM_GRAPH_KEY = "transform_graph"
EVALUATION_KEY = "evaluation"
BLESSING_KEY = "blessing"

REPORT_HTML_FILE = "report.html"
VERDICT_BLESSED = "BLESSED"
VERDICT_NOT_BLESSED = "NOT_BLESSED"


class CompressionEvaluatorSpec(component_spec.ComponentSpec):
  """CompressionEvaluator: Examples, candidate and baseline in; evaluation and blessing out."""

  PARAMETERS = {CONFIG_KEY: component_spec.ExecutionParameter(type=str)}
  INPUTS = {
      EXAMPLES_KEY: component_spec.ChannelParameter(
          type=standard_artifacts.Examples),
      MODEL_KEY: component_spec.ChannelParameter(type=standard_artifacts.Model),
      BASELINE_MODEL_KEY: component_spec.ChannelParameter(
          type=standard_artifacts.Model),
      TRANSFORM_GRAPH_KEY: component_spec.ChannelParameter(
          type=standard_artifacts.TransformGraph, optional=True),
      BLESSED_BASELINE_MODEL_KEY: component_spec.ChannelParameter(
          type=standard_artifacts.Model, optional=True),
  }
  OUTPUTS = {
      EVALUATION_KEY: component_spec.ChannelParameter(
          type=standard_artifacts.ModelEvaluation),
      BLESSING_KEY: component_spec.ChannelParameter(
          type=standard_artifacts.ModelBlessing),
  }
