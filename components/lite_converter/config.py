"""LiteConverter configuration: validated on construction, one JSON property."""

import dataclasses
from typing import Any, Mapping

from tfx_compression import config_utils
from tfx_compression.lib.conversion_options import Optimization
from tfx_compression.lib.conversion_options import OpSet
from tfx_compression.lib.conversion_options import TfliteInputs


# The component's one exec property (its spec's parameter).
CONFIG_KEY = "lite_converter_config"

@dataclasses.dataclass(frozen=True)
class LiteConverterConfig:
  """How LiteConverter converts and validates.

  Attributes:
    optimization: Calibration-free optimization: 'none' (float32),
      'dynamic_range' (int8 weights, float activations) or 'float16' (float16
      weights). Full-integer modes belong to PostTrainingQuantizer.
    op_set: 'builtins' (TFLite builtin ops only) or
      'builtins_and_select_tf_ops' (explicit opt-in to the Flex delegate).
    inputs: 'serving' (default): the TFLite model takes the raw features the
      serving signature parses, with the pipeline's Transform graph folded
      in; 'model': the model alone over its own inputs (transformed
      features in a Transform pipeline; recorded on the artifact).
    num_validation_examples: Examples of `validation_split` run through the
      converted and the Keras model to compare them (when examples are given).
    validation_split: Split of the examples used for validation.
    min_argmax_agreement: Smallest accepted share of validation examples whose
      TFLite argmax equals the Keras argmax; below it the run fails.
  """

  optimization: Optimization = Optimization.NONE
  op_set: OpSet = OpSet.BUILTINS
  inputs: TfliteInputs = TfliteInputs.SERVING
  num_validation_examples: int = 100
  validation_split: str = "eval"
  min_argmax_agreement: float = 0.9

  def __post_init__(self):
    set_ = lambda k, v: object.__setattr__(self, k, v)
    set_("optimization", config_utils.parse_enum(
        Optimization, self.optimization, "optimization"))
    set_("op_set", config_utils.parse_enum(OpSet, self.op_set, "op_set"))
    set_("inputs", config_utils.parse_enum(TfliteInputs, self.inputs,
                                           "inputs"))
    config_utils.check_int(self.num_validation_examples,
                           "num_validation_examples", minimum=1,
                           maximum=100_000)
    config_utils.check_nonempty_str(self.validation_split, "validation_split")
    set_("min_argmax_agreement", config_utils.check_float(
        self.min_argmax_agreement, "min_argmax_agreement", 0.0, 1.0))

  def to_dict(self) -> dict:
    return config_utils.to_jsonable(self)

  @classmethod
  def from_dict(cls, values: Mapping[str, Any]) -> "LiteConverterConfig":
    return config_utils.from_mapping(cls, dict(values), "LiteConverter config")

  def to_json(self) -> str:
    return config_utils.dump(self)

  @classmethod
  def from_json(cls, text: str) -> "LiteConverterConfig":
    return config_utils.load(cls, text, "LiteConverter config")

  def to_exec_properties(self) -> dict:
    """The component's one exec property: {'lite_converter_config': to_json()}."""
    return {CONFIG_KEY: self.to_json()}

  @classmethod
  def from_exec_properties(cls, props: Mapping[str, Any]) -> "LiteConverterConfig":
    return config_utils.load_exec_property(cls, props, CONFIG_KEY, 'LiteConverter config')
