"""QuantizationAwareTrainer configuration (validated, JSON round-trip)."""

import dataclasses
import enum
from typing import Optional

from tfx_compression.framework import config_utils
from tfx_compression.errors import CompressionConfigError
from tfx_compression.fine_tuning import config as tuning_config
from tfx_compression.fine_tuning.config import FineTuning
from tfx_compression.lib.options.conversion import TfliteInputs
from tfx_compression.lib.options.quantization import IoType
from tfx_compression.fine_tuning.config import FineTuningFields
from tfx_compression.fine_tuning.config import LayerSelection  # pylint: disable=unused-import  (re-exported: a public name here)


class QatScheme(str, enum.Enum):
  """How fake-quantization is inserted."""

  # cluster_preserve when the input Model artifact was clustered (its
  # `weight_clusters` property), else prune_preserve when the input's kernels
  # are sparse (>= sparsity_threshold), default_8bit otherwise.
  AUTO = "auto"
  DEFAULT_8BIT = "default_8bit"  # tfmot's default 8-bit scheme
  # tfmot Default8BitPrunePreserveQuantizeScheme: keeps zero weights zero.
  PRUNE_PRESERVE = "prune_preserve"
  # tfmot Default8BitClusterPreserveQuantizeScheme: keeps each kernel's
  # cluster centroids (and zeros, when the input is also sparse). Needs a
  # clustered input (a WeightClusterer's output); auto picks it for one.
  CLUSTER_PRESERVE = "cluster_preserve"


class BatchNormMode(str, enum.Enum):
  """What BatchNormalization layers do during QAT fine-tuning."""

  # Inference mode with the input model's statistics (what TFLite folds).
  FREEZE = "freeze"
  # Keras' training mode: batch statistics, moving averages updated.
  TRAIN = "train"


QAT_IO_TYPES = (IoType.FLOAT32, IoType.INT8)

# The component's one exec property (its spec's parameter).
CONFIG_KEY = "qat_config"


@dataclasses.dataclass(frozen=True)
class QatConfig(FineTuningFields, config_utils.JsonConfig, key=CONFIG_KEY,
                label="QAT config"):
  """How the QuantizationAwareTrainer quantizes, fine-tunes and converts.

  Attributes:
    scheme: auto, default_8bit, prune_preserve or cluster_preserve.
    sparsity_threshold: With scheme auto, the share of zero kernel weights
      from which the input counts as pruned.
    selection: Which layers get fake-quantization; the others stay float.
    skip_unsupported_layers: Layers tfmot cannot quantize (Embedding, LSTM,
      Bidirectional, Normalization, custom layers): None (default) leaves
      them float, noted in the report, unless an include rule names them
      (then an error); True always leaves them float; False refuses any.
    fine_tuning: Fine-tuning; the default learning rate is 1/10 of the
      model's own.
    io_type: TFLite input/output type: float32 or int8.
    num_validation_examples: Eval examples run through the TFLite model and
      the QAT Keras model to compare them.
    min_argmax_agreement: Fail below this share of matching argmax.
    input_fn, module_file, model_fn, trust_model_code: see
      `fine_tuning.config.FineTuningFields` (keyword-only, as are `selection` and
      `fine_tuning`).
    inputs: 'serving' (default): the TFLite model takes the raw features the
      serving signature parses, with the Transform graph folded in; 'model':
      the model alone over its own inputs.
    calibrate_ranges: Start QAT where PTQ ends: set weight ranges from the
      weights and activation ranges from `calibration_batches` training
      batches before fine-tuning (tfmot starts them all at [-6, 6]).
    calibration_batches: Training batches (of fine_tuning.batch_size) the
      activation ranges are calibrated on.
    batch_norm: 'freeze' (default): BatchNormalization runs in inference
      mode with the input model's statistics, as TFLite folds it; 'train':
      Keras' training mode (batch statistics, moving averages updated).
  """

  scheme: QatScheme = QatScheme.AUTO
  sparsity_threshold: float = 0.3
  skip_unsupported_layers: Optional[bool] = None
  fine_tuning: FineTuning = dataclasses.field(
      default=FineTuning(epochs=3, learning_rate_scale=0.1), kw_only=True)
  io_type: IoType = IoType.FLOAT32
  num_validation_examples: int = 1000
  min_argmax_agreement: float = 0.9
  inputs: TfliteInputs = TfliteInputs.SERVING
  calibrate_ranges: bool = True
  calibration_batches: int = 10
  batch_norm: BatchNormMode = BatchNormMode.FREEZE

  def __post_init__(self):
    set_ = lambda k, v: object.__setattr__(self, k, v)
    config_utils.parse_enum_fields(self)
    config_utils.check_int(self.calibration_batches, "calibration_batches",
                           minimum=1)
    if self.io_type not in QAT_IO_TYPES:
      raise CompressionConfigError(
          f"io_type must be one of {[t.value for t in QAT_IO_TYPES]}; got "
          f"{self.io_type.value!r}")
    set_("sparsity_threshold", config_utils.check_float(
        self.sparsity_threshold, "sparsity_threshold", 0.0, 1.0))
    set_("min_argmax_agreement", config_utils.check_float(
        self.min_argmax_agreement, "min_argmax_agreement", 0.0, 1.0))
    config_utils.check_int(self.num_validation_examples,
                           "num_validation_examples", minimum=1)
    self.check_fine_tuning_fields()
    for field in ("skip_unsupported_layers", "calibrate_ranges"):
      value = getattr(self, field)
      if not isinstance(value, bool) and not (
          field == "skip_unsupported_layers" and value is None):
        raise CompressionConfigError(
            f"{field} must be True or False; got {getattr(self, field)!r}")

  @classmethod
  def field_converters(cls):
    return tuning_config.NESTED_CONVERTERS
