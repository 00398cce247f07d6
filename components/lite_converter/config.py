"""LiteConverter configuration: validated on construction, one JSON property."""

import dataclasses

from tfx_compression.framework import config_utils
from tfx_compression.lib.options.conversion import Optimization
from tfx_compression.lib.options.conversion import OpSet
from tfx_compression.lib.options.conversion import SparseEncoding
from tfx_compression.lib.options.conversion import TfliteInputs


# The component's one exec property (its spec's parameter).
CONFIG_KEY = "lite_converter_config"


@dataclasses.dataclass(frozen=True)
class LiteConverterConfig(config_utils.JsonConfig, key=CONFIG_KEY,
                          label="LiteConverter config"):
  """How LiteConverter converts and validates.

  Attributes:
    optimization: Calibration-free optimization: 'none' (float32),
      'dynamic_range' (int8 weights, float activations) or 'float16' (float16
      weights). Full-integer modes belong to PostTrainingQuantizer.
    op_set: 'auto' (default): builtins, falling back to select TF ops for
      the ops that are not (named in the report and as `flex_ops` on the
      artifact: the runtime must link the Flex delegate); 'builtins' (TFLite
      builtin ops only: such a model is an error) or
      'builtins_and_select_tf_ops'.
    inputs: 'serving' (default): the TFLite model takes the raw features the
      serving signature parses, with the pipeline's Transform graph folded
      in; 'model': the model alone over its own inputs (transformed
      features in a Transform pipeline; recorded on the artifact).
    num_validation_examples: Examples of `validation_split` run through the
      converted and the Keras model to compare them (when examples are given).
    validation_split: Split of the examples used for validation.
    min_argmax_agreement: Smallest accepted share of validation examples whose
      TFLite argmax equals the Keras argmax; below it the run fails.
    sparse_encoding: 'auto' (default): sparse-encoded weights (TFLite
      EXPERIMENTAL_SPARSITY, behind DENSIFY ops) when the input was pruned
      with the Pruner's policy 'xnnpack', dense otherwise; 'sparse' or
      'dense' decide for any input. XNNPACK's sparse inference needs it.
  """

  optimization: Optimization = Optimization.NONE
  op_set: OpSet = OpSet.AUTO
  inputs: TfliteInputs = TfliteInputs.SERVING
  num_validation_examples: int = 100
  validation_split: str = "eval"
  min_argmax_agreement: float = 0.9
  sparse_encoding: SparseEncoding = SparseEncoding.AUTO

  def __post_init__(self):
    config_utils.parse_enum_fields(self)
    config_utils.check_int(self.num_validation_examples,
                           "num_validation_examples", minimum=1,
                           maximum=100_000)
    config_utils.check_nonempty_str(self.validation_split, "validation_split")
    object.__setattr__(self, "min_argmax_agreement", config_utils.check_float(
        self.min_argmax_agreement, "min_argmax_agreement", 0.0, 1.0))
