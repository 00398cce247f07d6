"""CoreMLConverter configuration: validated on construction, one JSON property."""

import dataclasses

from tfx_compression.framework import config_utils
from tfx_compression.errors import CompressionConfigError
from tfx_compression.lib.options.coreml import Precision
from tfx_compression.lib.options.coreml import WeightQuantization

# The component's one exec property (its spec's parameter).
CONFIG_KEY = "coreml_converter_config"


@dataclasses.dataclass(frozen=True)
class CoreMLConverterConfig(config_utils.JsonConfig, key=CONFIG_KEY,
                            label="CoreMLConverter config"):
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
    config_utils.parse_enum_fields(self)
    if not isinstance(self.trust_model_code, bool):
      raise CompressionConfigError(
          f"trust_model_code must be True or False; got "
          f"{self.trust_model_code!r}")
