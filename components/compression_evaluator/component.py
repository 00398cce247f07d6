"""CompressionEvaluator: blesses a compressed model against its baseline."""

from typing import Optional

from tfx import types
from tfx.dsl.components.base import base_beam_component
from tfx.dsl.components.base import executor_spec

from tfx_compression.framework import config_utils
from tfx_compression.framework import spec_channels
from tfx_compression.compression_evaluator import executor
from tfx_compression.compression_evaluator import spec
from tfx_compression.compression_evaluator.config import CompressionEvaluatorConfig


class CompressionEvaluator(base_beam_component.BaseBeamComponent):
  """Decides whether a compressed candidate may replace the baseline.

  Writes a standard ModelEvaluation (TFMA output, report.json, report.html)
  and a standard ModelBlessing (BLESSED / NOT_BLESSED file and `blessed`
  property), so the stock Pusher and `tfx.dsl.Cond` gate deployment.
  """

  SPEC_CLASS = spec.CompressionEvaluatorSpec
  EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(executor.Executor)

  def __init__(self,
               examples: types.BaseChannel,
               model: types.BaseChannel,
               baseline_model: types.BaseChannel,
               config: Optional[CompressionEvaluatorConfig] = None,
               transform_graph: Optional[types.BaseChannel] = None,
               blessed_baseline_model: Optional[types.BaseChannel] = None):
    """Constructs a CompressionEvaluator.

    Args:
      examples: Raw Examples (what serving_default parses);
        `config.example_split` is evaluated.
      model: The candidate: a TFLite Model (`Format-Serving/tflite`) or a
        SavedModel Model (Pruner or Trainer output).
      baseline_model: The model it would replace, usually the Trainer's
        SavedModel (served by its serving_default), or a TFLite Model.
      config: A `CompressionEvaluatorConfig`; defaults to accuracy may drop
        by at most 0.02 and no budget.
      transform_graph: The pipeline's TransformGraph, for candidates over
        transformed features and for measuring a SavedModel baseline as
        TFLite taking the raw serving features.
      blessed_baseline_model: Optional second baseline, e.g. the host
        pipeline's latest blessed model from a Resolver with
        LatestBlessedModelStrategy (empty on a first run); every metric and
        ratio check then runs against both baselines.

    Raises:
      CompressionConfigError: `config` is not a CompressionEvaluatorConfig.
    """
    config = config_utils.config_or_default(config, CompressionEvaluatorConfig)
    super().__init__(spec=spec_channels.build_spec(
        self.SPEC_CLASS, config, examples=examples, model=model,
        baseline_model=baseline_model, transform_graph=transform_graph,
        blessed_baseline_model=blessed_baseline_model))
