"""Configuration shared by components that fine-tune (Pruner, QAT).

Validated on construction; plain dataclasses so `dataclasses.asdict` and
`cls(**dict)` round-trip them through JSON exec properties.
"""

import dataclasses
import re
from typing import Optional, Tuple

from tfx_compression.framework import config_utils
from tfx_compression.errors import CompressionConfigError
from tfx_compression.lib.evaluation.task import Task
from tfx_compression.lib.options.training import Distribution


@dataclasses.dataclass(frozen=True)
class LayerSelection:
  """Which layers to compress. Empty include lists mean every eligible layer.

  A layer is compressed (pruned, or quantized by QAT) when it matches an
  include rule (or none are given), no exclude rule, and is not protected by
  `keep_first_and_last`.
  """

  include_names: Tuple[str, ...] = ()
  exclude_names: Tuple[str, ...] = ()
  include_regex: Optional[str] = None
  exclude_regex: Optional[str] = None
  include_types: Tuple[str, ...] = ()
  exclude_types: Tuple[str, ...] = ()
  # Leave the first and last eligible layers as they are (they are the most
  # sensitive: few weights, all of them used).
  keep_first_and_last: bool = False

  def __post_init__(self):
    for field in ("include_names", "exclude_names", "include_types",
                  "exclude_types"):
      value = getattr(self, field)
      if not isinstance(value, (list, tuple)) or not all(
          isinstance(v, str) for v in value):
        raise CompressionConfigError(
            f"selection.{field} must be a list of strings; got {value!r}")
      object.__setattr__(self, field, tuple(value))
    for field in ("include_regex", "exclude_regex"):
      value = getattr(self, field)
      if value is not None:
        try:
          re.compile(value)
        except (re.error, TypeError) as e:
          raise CompressionConfigError(
              f"selection.{field} is not a valid regular expression: "
              f"{value!r} ({e})") from e


# Distillation defaults (see FineTuning.alpha; chosen by
# benchmarks/accuracy_benchmark.py; benchmarks/README.md, "Accuracy-preserving
# fine-tuning").
DEFAULT_ALPHA = 0.5
DEFAULT_TEMPERATURE = 4.0
MAX_TEMPERATURE = 100.0


@dataclasses.dataclass(frozen=True)
class FineTuning:
  """How the compressed model is fine-tuned.

  Attributes:
    epochs: Passes over `steps_per_epoch` batches.
    steps_per_epoch: None: one pass over the train split (counted once).
    batch_size: Examples per step.
    learning_rate: Absolute rate; None: `learning_rate_scale` x the rate of
      the model's own compiled optimizer.
    learning_rate_scale: Factor on the model's own learning rate.
    loss: Keras loss identifier; None: the model's own compiled loss.
    label_key: The label (built-in reader): a feature of the examples or an
      output of the Transform graph; None derives it (the one feature of the
      examples that serving_default does not parse and no input reads).
    train_split: Split to fine-tune on.
    eval_split: Split for the before/after evaluation.
    train_unselected_layers: Also train the layers that are not selected
      (False keeps them bit-identical to the input model).
    alpha: Knowledge distillation from the input model (the teacher) to the
      compressed one: the loss is `alpha` x the hard-label loss +
      (1 - alpha) x T^2 x KL(teacher || student), both softened by
      `temperature` T. In [0, 1]; 1 turns distillation off (hard labels
      only); None: the component's default (`DEFAULT_ALPHA`).
    temperature: T, in (0, 100]: > 1 softens both distributions so the
      student learns the teacher's ranking of the wrong classes.
    task: 'multiclass', 'binary' or 'regression'; None reads it from the
      model's compiled loss, output activation and width, and the labels
      (`lib/evaluation/task.py`). Decides the label checks, the distillation loss
      (regression: mean squared difference to the teacher) and the metrics.
    distribution: 'none', 'mirrored' (every local GPU or logical device) or
      'multi_worker_mirrored' (the workers of TF_CONFIG); see
      `lib/options/training.Distribution`. `batch_size` is the global batch.
      Pruner and WeightClusterer only.
  """

  epochs: int = 2
  steps_per_epoch: Optional[int] = None
  batch_size: int = 32
  learning_rate: Optional[float] = None
  learning_rate_scale: float = 1.0
  loss: Optional[str] = None
  label_key: Optional[str] = None
  train_split: str = "train"
  eval_split: str = "eval"
  train_unselected_layers: bool = False
  alpha: Optional[float] = None
  temperature: float = DEFAULT_TEMPERATURE
  task: Optional[Task] = None
  distribution: Distribution = Distribution.NONE

  def __post_init__(self):
    object.__setattr__(self, "distribution", config_utils.parse_enum(
        Distribution, self.distribution, "fine_tuning.distribution"))
    if self.task is not None:
      object.__setattr__(self, "task", config_utils.parse_enum(
          Task, self.task, "fine_tuning.task"))
    config_utils.check_int(self.epochs, "fine_tuning.epochs", minimum=1)
    if self.steps_per_epoch is not None:
      config_utils.check_int(self.steps_per_epoch,
                             "fine_tuning.steps_per_epoch", minimum=1)
    config_utils.check_int(self.batch_size, "fine_tuning.batch_size", minimum=1)
    if self.learning_rate is not None and (
        config_utils.check_float(self.learning_rate,
                                 "fine_tuning.learning_rate") <= 0):
      raise CompressionConfigError(
          f"fine_tuning.learning_rate must be > 0; got {self.learning_rate!r}")
    if config_utils.check_float(self.learning_rate_scale,
                                "fine_tuning.learning_rate_scale") <= 0:
      raise CompressionConfigError(
          "fine_tuning.learning_rate_scale must be > 0; got "
          f"{self.learning_rate_scale!r}")
    for field in ("train_split", "eval_split"):
      config_utils.check_nonempty_str(getattr(self, field),
                                      f"fine_tuning.{field}")
    if self.label_key is not None:
      config_utils.check_nonempty_str(self.label_key, "fine_tuning.label_key")
    if self.loss is not None:
      config_utils.check_nonempty_str(self.loss, "fine_tuning.loss")
    if self.alpha is not None:
      object.__setattr__(self, "alpha", config_utils.check_float(
          self.alpha, "fine_tuning.alpha", 0.0, 1.0))
    temperature = config_utils.check_float(self.temperature,
                                           "fine_tuning.temperature")
    if not 0.0 < temperature <= MAX_TEMPERATURE:
      raise CompressionConfigError(
          f"fine_tuning.temperature must be in (0, {MAX_TEMPERATURE:g}]; got "
          f"{self.temperature!r}")
    object.__setattr__(self, "temperature", temperature)

  @property
  def distillation_alpha(self) -> float:
    """`alpha`, or the default when it is None (1.0 means no distillation)."""
    return DEFAULT_ALPHA if self.alpha is None else self.alpha


def check_model_fn_kwargs(value, model_fn: Optional[str],
                          field: str = "model_fn_kwargs") -> Optional[dict]:
  """`value` as a dict of JSON values keyed by argument names, or None.

  Raises:
    CompressionConfigError: not a mapping of identifiers to JSON values, or
      given without `model_fn`.
  """
  import json  # pylint: disable=g-import-not-at-top
  if value is None:
    return None
  if not isinstance(value, dict) or not all(
      isinstance(k, str) and k.isidentifier() for k in value):
    raise CompressionConfigError(
        f"{field} must map argument names to values, e.g. "
        f"{{'hidden_units': [100, 70, 50, 25]}}; got {value!r}")
  try:
    json.dumps(value)
  except (TypeError, ValueError) as e:
    raise CompressionConfigError(
        f"{field} values must be JSON values (numbers, strings, lists, "
        f"mappings); got {value!r}") from e
  if not model_fn:
    raise CompressionConfigError(
        f"{field} is passed to model_fn, which is not set; got {value!r}")
  return dict(value)


def check_user_code(module_file: Optional[str], input_fn: Optional[str],
                    model_fn: Optional[str]) -> None:
  """Validates the user-code fields of a fine-tuning config.

  Raises:
    CompressionConfigError: a field is not a non-empty string, or
      module_file names no function to call.
  """
  for field, value in (("module_file", module_file), ("input_fn", input_fn),
                       ("model_fn", model_fn)):
    if value is not None:
      config_utils.check_nonempty_str(value, field)
  if module_file is not None and not (input_fn or model_fn):
    raise CompressionConfigError(
        "module_file needs input_fn or model_fn, the name of a function in "
        f"it; got input_fn={input_fn!r}, model_fn={model_fn!r}")


# from_mapping converters of the nested configs every fine-tuning config has.
NESTED_CONVERTERS = {
    "selection": lambda v: config_utils.from_mapping(LayerSelection, v,
                                                     "selection"),
    "fine_tuning": lambda v: config_utils.from_mapping(FineTuning, v,
                                                       "fine_tuning"),
}


@dataclasses.dataclass(frozen=True, kw_only=True)
class FineTuningFields:
  """Which layers, how to fine-tune, and the user's code.

  Attributes:
    selection: Which layers to compress (prune, cluster or fake-quantize).
    fine_tuning: How to fine-tune (distillation on by default).
    input_fn: Optional user input function, as 'package.module.fn' or, with
      `module_file`, a function name in that file. Called as
      `input_fn(file_pattern, data_accessor, tf_transform_output, batch_size)`
      like the TFX Trainer templates' `_input_fn`; must yield
      (features, label) batches. None: the built-in tf.Example reader.
    module_file: Optional path to a Python file that defines `input_fn`
      and/or `model_fn` (e.g. the Trainer's module file).
    model_fn: Needed when the input model was saved with
      `tf.saved_model.save` (no Keras metadata, as in TFX's examples): the
      function that builds the Trainer's Keras model, as 'package.module.fn'
      or, with `module_file`, a function name in that file; called with no
      arguments (or `model_fn_kwargs`). The artifact's variables are
      restored into its model, which must reproduce the saved model on real
      examples.
    model_fn_kwargs: Keyword arguments `model_fn` is called with, e.g.
      {'hidden_units': [100, 70, 50, 25]} for TFX's taxi example's
      `_build_keras_model(hidden_units)`, as its Trainer called it.
    trust_model_code: Rebuild Keras Lambda layers from the artifact (their
      Python bytecode runs in this component). False (default): a model with
      Lambda layers needs `model_fn`. Recorded on the output artifact.
  """

  selection: LayerSelection = LayerSelection()
  fine_tuning: FineTuning = FineTuning()
  input_fn: Optional[str] = None
  module_file: Optional[str] = None
  model_fn: Optional[str] = None
  model_fn_kwargs: Optional[dict] = None
  trust_model_code: bool = False

  def check_fine_tuning_fields(self) -> None:
    """Validates the fields every fine-tuning config shares.

    `selection` (a LayerSelection), `fine_tuning` (a FineTuning), the user
    code fields and `trust_model_code` (Pruner, QAT, WeightClusterer).

    Raises:
      CompressionConfigError: naming the field and the value received.
    """
    for field, cls in (("selection", LayerSelection),
                       ("fine_tuning", FineTuning)):
      if not isinstance(getattr(self, field), cls):
        raise CompressionConfigError(
            f"{field} must be a {cls.__name__}; got {getattr(self, field)!r}")
    check_user_code(self.module_file, self.input_fn, self.model_fn)
    object.__setattr__(self, "model_fn_kwargs", check_model_fn_kwargs(
        self.model_fn_kwargs, self.model_fn))
    if not isinstance(self.trust_model_code, bool):
      raise CompressionConfigError(
          f"trust_model_code must be True or False; got "
          f"{self.trust_model_code!r}")
