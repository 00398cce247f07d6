"""Closed sets of TFLite conversion options (no heavy imports)."""

import enum

from tfx_compression.lib.options.quantization import QuantizationMode


class Optimization(str, enum.Enum):
  """Post-conversion optimization that needs no calibration data.

  Besides 'none', the calibration-free QuantizationModes, by their values.
  """

  NONE = "none"
  DYNAMIC_RANGE = QuantizationMode.DYNAMIC_RANGE.value
  FLOAT16 = QuantizationMode.FLOAT16.value


class SparseEncoding(str, enum.Enum):
  """Whether zero weights are stored sparse (TFLite EXPERIMENTAL_SPARSITY)."""

  # Sparse when the input was pruned for XNNPACK (the Pruner's policy
  # 'xnnpack', its `pruning_policy` property), dense otherwise.
  AUTO = "auto"
  # Sparse-encoded weights behind DENSIFY ops: a smaller file, and what
  # XNNPACK's sparse inference needs. Dense weights stay dense.
  SPARSE = "sparse"
  DENSE = "dense"


class OpSet(str, enum.Enum):
  """Operator sets the converted model may use."""

  # Builtins; a model that needs TensorFlow ops falls back to select TF ops
  # (Flex delegate), named in the report and on the artifact (`flex_ops`).
  AUTO = "auto"
  # TFLite builtin ops only: runs with the stock interpreter everywhere.
  BUILTINS = "builtins"
  # Builtins, falling back to TensorFlow ops (Flex delegate) where needed:
  # the runtime must link the Flex delegate, and the file grows.
  BUILTINS_AND_SELECT_TF_OPS = "builtins_and_select_tf_ops"


class TfliteInputs(str, enum.Enum):
  """What the converted model takes as inputs."""

  # The raw features the serving signature parses from tf.Examples, with the
  # Transform graph (if any) folded in: the device feeds what TF Serving is
  # fed, and no preprocessing is lost between training and serving.
  SERVING = "serving"
  # The model's own inputs (for a Transform pipeline: transformed features);
  # the device must apply the same preprocessing itself.
  MODEL = "model"
