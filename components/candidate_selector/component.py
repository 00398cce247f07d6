"""CandidateSelector: one winner among the evaluated candidates, for one Pusher."""

import dataclasses
from typing import Mapping, Optional, Tuple, Union

from tfx import types
from tfx.dsl.components.base import base_component
from tfx.dsl.components.base import executor_spec
from tfx.types import standard_artifacts

from tfx_compression.framework import config_utils
from tfx_compression.framework import spec_channels
from tfx_compression.candidate_selector import executor
from tfx_compression.candidate_selector import spec
from tfx_compression.candidate_selector.config import CandidateSelectorConfig
from tfx_compression.errors import CompressionConfigError

# (model, evaluation, blessing) channels of one candidate.
CandidateChannels = Tuple[types.BaseChannel, types.BaseChannel,
                          types.BaseChannel]


def candidate_channels(value, variant: str) -> CandidateChannels:
  """(model, evaluation, blessing) of a CompressionEvaluator or a 3-tuple."""
  from tfx_compression.compression_evaluator import spec as evaluator_spec  # pylint: disable=g-import-not-at-top
  if hasattr(value, "outputs") and hasattr(value, "inputs"):
    try:
      return (value.inputs[spec_channels.MODEL_KEY],
              value.outputs[evaluator_spec.EVALUATION_KEY],
              value.outputs[evaluator_spec.BLESSING_KEY])
    except KeyError as e:
      raise CompressionConfigError(
          f"candidates[{variant!r}] must be a CompressionEvaluator or a "
          f"(model, evaluation, blessing) tuple; got a "
          f"{type(value).__name__} without {e}") from e
  if not isinstance(value, (tuple, list)) or len(value) != 3:
    raise CompressionConfigError(
        f"candidates[{variant!r}] must be a CompressionEvaluator or a "
        f"(model, evaluation, blessing) tuple of channels; got {value!r}")
  expected = (standard_artifacts.Model, standard_artifacts.ModelEvaluation,
              standard_artifacts.ModelBlessing)
  for channel, artifact_type, what in zip(value, expected,
                                          ("model", "evaluation", "blessing")):
    if getattr(channel, "type", None) is not artifact_type:
      raise CompressionConfigError(
          f"candidates[{variant!r}] {what} must be a channel of "
          f"{artifact_type.__name__}; got {channel!r}")
  return tuple(value)


class CandidateSelector(base_component.BaseComponent):
  """Picks the best blessed candidate under an objective and publishes it.

  Outputs `model` (a copy of the winner's Format-Serving, pushable by the
  stock Pusher), `blessing` (BLESSED for the winner, NOT_BLESSED when no
  candidate is blessed with a complete evaluation) and `comparison`
  (comparison.json and a self-contained comparison.html).
  """

  SPEC_CLASS = spec.CandidateSelectorSpec
  EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

  def __init__(self,
               candidates: Mapping[str, Union[CandidateChannels, object]],
               config: Optional[CandidateSelectorConfig] = None):
    """Constructs a CandidateSelector.

    Args:
      candidates: Variant name -> its CompressionEvaluator (whose `model`
        input and `evaluation` / `blessing` outputs are used), or a
        (model, evaluation, blessing) tuple of channels. Ordered: a tie
        still unbroken by the tie-break figures goes to the first.
      config: A `CandidateSelectorConfig`; defaults to objective 'smallest'.
        Its `variants` are set from `candidates`.

    Raises:
      CompressionConfigError: no candidate, a bad candidate value, or a
        config that is not a CandidateSelectorConfig.
    """
    config = config_utils.config_or_default(config, CandidateSelectorConfig)
    if not isinstance(candidates, Mapping) or not candidates:
      raise CompressionConfigError(
          "candidates must be a non-empty mapping of variant name to "
          f"CompressionEvaluator or (model, evaluation, blessing); got "
          f"{candidates!r}")
    config = dataclasses.replace(config, variants=tuple(candidates))
    inputs = {}
    for i, (variant, value) in enumerate(candidates.items()):
      model, evaluation, blessing = candidate_channels(value, variant)
      inputs[spec.model_key(i)] = model
      inputs[spec.evaluation_key(i)] = evaluation
      inputs[spec.blessing_key(i)] = blessing
    super().__init__(spec=spec_channels.build_spec(
        spec.spec_class(len(candidates)), config, **inputs))
