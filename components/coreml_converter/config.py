"""CoreMLConverter configuration: validated on construction, one JSON property."""

import dataclasses
from typing import Any, Mapping

from tfx_compression import config_utils
from tfx_compression.errors import CompressionConfigError
from tfx_compression.lib.coreml_options import Precision
from tfx_compression.lib.coreml_options import WeightQuantization

# The component's one exec property (its spec's parameter).
CONFIG_KEY = "coreml_converter_config"


@dataclasses.dataclass(frozen=True)
class CoreMLConverterConfig:
  """How CoreMLConverter converts.

  Attributes:
    precision: The ML Program's compute precision: 'float16' (Core ML's
      default, what the Neural Engine runs) or 'float32'.
    weight_quantization: 'none', or 'int8' (coremltools.optimize linear
      symmetric int8 weights, dequantized at load).
    trust_model_code: Rebuild Keras Lambda layers from the artifact (their
      Python bytecode runs in this component); False refuses such a model.
  """

  precision: Precision = Precision.FLOAT16
  weight_quantization: WeightQuantization = WeightQuantization.NONE
  trust_model_code: bool = False

  def __post_init__(self):
    set_ = lambda k, v: object.__setattr__(self, k, v)
    set_("precision", config_utils.parse_enum(Precision, self.precision,
                                              "precision"))
    set_("weight_quantization", config_utils.parse_enum(
        WeightQuantization, self.weight_quantization, "weight_quantization"))
    if not isinstance(self.trust_model_code, bool):
      raise CompressionConfigError(
          f"trust_model_code must be True or False; got "
          f"{self.trust_model_code!r}")

  def to_dict(self) -> dict:
    return config_utils.to_jsonable(self)

  @classmethod
  def from_dict(cls, values: Mapping[str, Any]) -> "CoreMLConverterConfig":
    return config_utils.from_mapping(cls, dict(values),
                                     "CoreMLConverter config")

  def to_json(self) -> str:
    return config_utils.dump(self)

  @classmethod
  def from_json(cls, text: str) -> "CoreMLConverterConfig":
    return config_utils.load(cls, text, "CoreMLConverter config")

  def to_exec_properties(self) -> dict:
    """The component's one exec property: {'coreml_converter_config': to_json()}."""
    return {CONFIG_KEY: self.to_json()}

  @classmethod
  def from_exec_properties(cls, props: Mapping[str, Any]
                           ) -> "CoreMLConverterConfig":
    return config_utils.load_exec_property(cls, props, CONFIG_KEY,
                                           "CoreMLConverter config")
