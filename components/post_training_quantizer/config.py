"""PostTrainingQuantizer configuration: validated on construction, one JSON property."""

import dataclasses
import re
from typing import Any, Optional, Tuple

from tfx_compression.framework import config_utils
from tfx_compression.errors import CompressionConfigError
from tfx_compression.lib.options.conversion import TfliteInputs
from tfx_compression.lib.options.quantization import check_io_type
from tfx_compression.lib.options.quantization import BACKEND_MODES
from tfx_compression.lib.options.quantization import BLOCK_SIZES
from tfx_compression.lib.options.quantization import IoType
from tfx_compression.lib.options.quantization import QuantizationBackend
from tfx_compression.lib.options.quantization import QuantizationMode
from tfx_compression.lib.options.quantization import SamplingStrategy
from tfx_compression.lib.options.quantization import SearchObjective
from tfx_compression.lib.options.quantization import SELECTIVE_IO_TYPES

_OP_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
_MAX_EXAMPLES = 100_000
_MAX_CONVERSIONS = 1_000
# The calibration sample when num_calibration_examples is None (clamped to
# what the calibration splits hold).
DEFAULT_CALIBRATION_EXAMPLES = 200


def _check_names(value: Any, field: str, pattern=None) -> Tuple[str, ...]:
  """Returns `value` as a tuple of distinct non-empty strings."""
  if isinstance(value, str) or not isinstance(value, (list, tuple)):
    raise CompressionConfigError(
        f"{field} must be a list of strings; got {value!r}")
  for item in value:
    config_utils.check_nonempty_str(item, f"{field} entry")
    if pattern is not None and not pattern.match(item):
      raise CompressionConfigError(
          f"{field} entry must be a TFLite op type such as 'CONV_2D' or "
          f"'FULLY_CONNECTED'; got {item!r}")
  if len(set(value)) != len(value):
    raise CompressionConfigError(f"{field} has duplicates; got {value!r}")
  return tuple(value)


# The component's one exec property (its spec's parameter).
CONFIG_KEY = "quantizer_config"


@dataclasses.dataclass(frozen=True)
class PostTrainingQuantizerConfig(config_utils.JsonConfig, key=CONFIG_KEY,
                                  label="PostTrainingQuantizer config"):
  """How PostTrainingQuantizer samples, quantizes and validates.

  Attributes:
    mode: 'dynamic_range' (int8 weights), 'float16' (float16 weights), 'int8'
      (full integer) or 'int16x8' (int16 activations, int8 weights).
      Convolution kernels are quantized per output channel, fully connected
      kernels and activations per tensor (TFLite's defaults). 'int8' and
      'int16x8' need `examples` to calibrate on. 'int4_weights' (int4
      weights, float activations) needs backend 'ai_edge_quantizer'.
    io_type: dtype of the model's inputs and outputs: 'float32' (any mode),
      'int8' or 'uint8' (int8 mode), 'int16' (int16x8 mode).
    inputs: 'serving' (default): the TFLite model takes the raw features the
      serving signature parses, with the pipeline's Transform graph folded
      in (calibration runs on raw features); 'model': the model alone over
      its own inputs (see LiteConverterConfig.inputs).
    calibration_splits: Splits of `examples` the calibration sample is drawn
      from.
    num_calibration_examples: Sample size (per label with 'per_class'); more
      than the splits hold is an error. None: `DEFAULT_CALIBRATION_EXAMPLES`,
      or all the splits hold when they hold fewer (logged).
    sampling: 'uniform', 'per_class' (N of every label) or 'proportional'
      (N in total, split across labels in proportion to their counts).
    label_key: Feature holding the label (one int64 or bytes value); needed
      by the stratified strategies, optional with 'uniform' (label counts are
      then reported).
    seed: Seed of the sample; the same seed and data give the same sample.
    num_validation_examples: Examples of `validation_split` run through the
      quantized and the Keras model to compare them.
    validation_split: Split of `examples` used for validation.
    min_argmax_agreement: Smallest accepted share of validation examples whose
      argmax matches the Keras model's; below it the run fails.
    num_debug_examples: Calibration examples on which the per-layer error
      report (int8 mode) and the relative output error are measured.
    float_layers: Keras layer names whose quantized tensors stay float (int8
      mode, float32 or int8 I/O).
    float_ops: TFLite op types, e.g. 'CONV_2D', that stay float (same limits).
    max_auto_float_layers: With `accuracy_budget`: the most layers (units)
      the search may keep float32 (None: any number). Without it: the
      automatic mode keeps up to this many of the worst tensors float, one
      at a time, until the relative output error is within
      `max_relative_output_error` (None or 0: off).
    max_relative_output_error: The automatic mode's budget for
      ||quantized - float|| / ||float|| of the outputs on the debug examples.
    backend: 'tflite' (the TFLite converter) or 'ai_edge_quantizer'
      (LiteRT's AI Edge Quantizer, recipes on the float .tflite model).
    block_size: 'int4_weights' quantizes per block of this many input
      values (32, 64, 128, 256) where a layer's depth divides into blocks,
      else per channel; 0: per channel.
    accuracy_budget: The largest accepted drop of the task metric from the
      float .tflite model on the validation sample (accuracy as a fraction
      for classifiers with `label_key`, 0.005 = 0.5 pt; MAE increase in
      label units for regressors; agreement with the float model without a
      label). Setting it searches per-layer precision from full int8
      (mode 'int8'); None: no search.
    objective: What the search minimises among configurations meeting the
      budget: 'size' (bytes) or 'latency' (1 thread, batch 1).
    max_search_conversions: Most configurations the search converts and
      judges (full int8 included).
  """

  mode: QuantizationMode = QuantizationMode.INT8
  io_type: IoType = IoType.FLOAT32
  inputs: TfliteInputs = TfliteInputs.SERVING
  calibration_splits: Tuple[str, ...] = ("train",)
  num_calibration_examples: Optional[int] = None
  sampling: SamplingStrategy = SamplingStrategy.UNIFORM
  label_key: str = ""
  seed: int = 0
  num_validation_examples: int = 500
  validation_split: str = "eval"
  min_argmax_agreement: float = 0.9
  num_debug_examples: int = 100
  float_layers: Tuple[str, ...] = ()
  float_ops: Tuple[str, ...] = ()
  max_auto_float_layers: Optional[int] = None
  max_relative_output_error: float = 0.05
  backend: QuantizationBackend = QuantizationBackend.TFLITE
  block_size: int = 0
  accuracy_budget: Optional[float] = None
  objective: SearchObjective = SearchObjective.SIZE
  max_search_conversions: int = 20

  def __post_init__(self):
    set_ = lambda k, v: object.__setattr__(self, k, v)
    config_utils.parse_enum_fields(self)
    set_("calibration_splits", _check_names(self.calibration_splits,
                                            "calibration_splits"))
    if not self.calibration_splits:
      raise CompressionConfigError(
          "calibration_splits must name at least one split; got ()")
    set_("float_layers", _check_names(self.float_layers, "float_layers"))
    set_("float_ops", _check_names(self.float_ops, "float_ops", _OP_NAME))
    if self.num_calibration_examples is not None:
      config_utils.check_int(self.num_calibration_examples,
                             "num_calibration_examples", 1, _MAX_EXAMPLES)
    for field, minimum in (("seed", 0),
                           ("num_validation_examples", 1),
                           ("num_debug_examples", 1),
                           ("max_search_conversions", 1)):
      config_utils.check_int(getattr(self, field), field, minimum=minimum,
                             maximum=2**63 - 1 if field == "seed"
                             else _MAX_CONVERSIONS
                             if field == "max_search_conversions"
                             else _MAX_EXAMPLES)
    if self.max_auto_float_layers is not None:
      config_utils.check_int(self.max_auto_float_layers,
                             "max_auto_float_layers", 0, _MAX_EXAMPLES)
    if self.block_size not in BLOCK_SIZES:
      raise CompressionConfigError(
          f"block_size must be one of {list(BLOCK_SIZES)}; got "
          f"{self.block_size!r}")
    if self.accuracy_budget is not None:
      set_("accuracy_budget", config_utils.check_float(
          self.accuracy_budget, "accuracy_budget", 0.0))
    if not isinstance(self.label_key, str):
      raise CompressionConfigError(
          f"label_key must be a string; got {self.label_key!r}")
    config_utils.check_nonempty_str(self.validation_split, "validation_split")
    set_("min_argmax_agreement", config_utils.check_float(
        self.min_argmax_agreement, "min_argmax_agreement", 0.0, 1.0))
    set_("max_relative_output_error", config_utils.check_float(
        self.max_relative_output_error, "max_relative_output_error", 0.0))
    self._check_combinations()

  def _check_combinations(self):
    check_io_type(self.mode, self.io_type)
    modes = BACKEND_MODES[self.backend]
    if self.mode not in modes:
      raise CompressionConfigError(
          f"mode {self.mode.value!r} is not written by backend "
          f"{self.backend.value!r}; allowed: {[m.value for m in modes]}")
    if self.block_size and self.mode is not QuantizationMode.INT4_WEIGHTS:
      raise CompressionConfigError(
          f"block_size {self.block_size} applies to mode 'int4_weights' "
          f"only; got mode {self.mode.value!r}")
    if (self.float_ops and
        self.backend is QuantizationBackend.AI_EDGE_QUANTIZER):
      raise CompressionConfigError(
          "float_ops is not supported with backend 'ai_edge_quantizer'; "
          "name the layers in float_layers instead")
    if self.accuracy_budget is not None:
      self._check_search()
    if self.sampling is not SamplingStrategy.UNIFORM and not self.label_key:
      raise CompressionConfigError(
          f"sampling {self.sampling.value!r} needs a label_key; got ''")
    selective = [f for f in ("float_layers", "float_ops",
                             "max_auto_float_layers") if getattr(self, f)]
    if selective and self.mode is not QuantizationMode.INT8:
      raise CompressionConfigError(
          f"{selective[0]} is only supported with mode 'int8'; got mode "
          f"{self.mode.value!r}")
    if selective and self.io_type not in SELECTIVE_IO_TYPES:
      raise CompressionConfigError(
          f"{selective[0]} needs io_type in "
          f"{[t.value for t in SELECTIVE_IO_TYPES]}; got "
          f"{self.io_type.value!r}")

  def _check_search(self):
    if self.mode is not QuantizationMode.INT8:
      raise CompressionConfigError(
          f"accuracy_budget searches from full int8 and needs mode 'int8'; "
          f"got mode {self.mode.value!r}")
    if self.io_type not in SELECTIVE_IO_TYPES:
      raise CompressionConfigError(
          f"accuracy_budget needs io_type in "
          f"{[t.value for t in SELECTIVE_IO_TYPES]}; got "
          f"{self.io_type.value!r}")
    if self.validation_split in self.calibration_splits:
      raise CompressionConfigError(
          f"accuracy_budget judges candidates on validation_split "
          f"{self.validation_split!r}, which is also a calibration split "
          f"({list(self.calibration_splits)}); hold it out: name another "
          "validation_split or change calibration_splits")
