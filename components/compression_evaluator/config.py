"""CompressionEvaluator configuration: validated on construction, one JSON property."""

import dataclasses
import enum
import json
import re
from typing import Optional, Tuple

from tfx_compression.framework import config_utils
from tfx_compression.errors import CompressionConfigError
from tfx_compression.lib.evaluation.task import Task


class Direction(str, enum.Enum):
  """Which way a metric improves."""

  HIGHER_IS_BETTER = "higher_is_better"
  LOWER_IS_BETTER = "lower_is_better"


# What a metric check decides on: the measured change, or the pessimistic
# end of its confidence interval (uncertainty.py).
GATE_ON = ("point", "interval")

# Words in a metric's name that fix which way it improves.
_HIGHER_IS_BETTER = ("accuracy", "auc", "precision", "recall")
_LOWER_IS_BETTER = ("loss", "crossentropy", "error", "deviation")


def metric_direction(name: str) -> Optional[Direction]:
  """Which way metric `name` (snake_case) improves; None when unknown."""
  if any(word in name for word in _HIGHER_IS_BETTER):
    return Direction.HIGHER_IS_BETTER
  if any(word in name for word in _LOWER_IS_BETTER):
    return Direction.LOWER_IS_BETTER
  return None


def metric_name(class_name: str) -> str:
  """TFMA's result name of a metric class: 'AUC' -> 'auc',
  'MeanSquaredError' -> 'mean_squared_error'."""
  return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", class_name).lower()


def _optional(value, check, field, **bounds):
  return None if value is None else check(value, field, **bounds)


@dataclasses.dataclass(frozen=True)
class MetricThreshold:
  """One TFMA metric the candidate may not worsen by more than a margin.

  Attributes:
    class_name: A TFMA or tf_keras metric class, e.g. 'SparseCategoricalAccuracy'.
    max_drop: Largest accepted worsening versus the baseline on the whole
      split: in the metric's units (0.02 = two accuracy points; for an
      error metric, an increase), or with `relative` a share of the
      baseline's value (0.1 = 10 % worse).
    max_slice_drop: The same on each configured slice; None = `max_drop`.
    direction: Whether higher or lower values are better; None reads it from
      the name (accuracy, auc, precision, recall: higher; loss, error:
      lower), which a metric outside those words must set.
    relative: `max_drop` is relative: |candidate - baseline| / |baseline|
      (TFMA's relative change threshold).
  """

  class_name: str = "SparseCategoricalAccuracy"
  max_drop: float = 0.02
  max_slice_drop: Optional[float] = None
  direction: Optional[Direction] = None
  relative: bool = False

  def __post_init__(self):
    set_ = lambda k, v: object.__setattr__(self, k, v)
    if (not isinstance(self.class_name, str) or
        not re.fullmatch(r"[A-Z][A-Za-z0-9]*", self.class_name)):
      raise CompressionConfigError(
          "metrics.class_name must be a metric class name in CamelCase, e.g. "
          f"'SparseCategoricalAccuracy'; got {self.class_name!r}")
    set_("max_drop", config_utils.check_float(self.max_drop,
                                              "metrics.max_drop", 0.0))
    set_("max_slice_drop", _optional(self.max_slice_drop,
                                     config_utils.check_float,
                                     "metrics.max_slice_drop", minimum=0.0))
    expected = metric_direction(self.name)
    if self.direction is None:
      if expected is None:
        raise CompressionConfigError(
            f"metrics.direction of {self.class_name} must be set "
            "('higher_is_better' or 'lower_is_better'): its name does not "
            "say which way it improves")
      set_("direction", expected)
    set_("direction", config_utils.parse_enum(Direction, self.direction,
                                              "metrics.direction"))
    if not isinstance(self.relative, bool):
      raise CompressionConfigError(
          f"metrics.relative must be True or False; got {self.relative!r}")
    if expected is not None and self.direction is not expected:
      raise CompressionConfigError(
          f"metrics.direction of {self.class_name} must be "
          f"{expected.value!r}; got {self.direction.value!r}, which would "
          "bless every candidate that makes it worse")

  @property
  def name(self) -> str:
    """The metric's name in TFMA results: snake_case of `class_name`."""
    return metric_name(self.class_name)

  @property
  def higher_is_better(self) -> bool:
    return self.direction is Direction.HIGHER_IS_BETTER

  @property
  def slice_drop(self) -> float:
    return self.max_drop if self.max_slice_drop is None else self.max_slice_drop


@dataclasses.dataclass(frozen=True)
class Budgets:
  """Limits on the candidate; None switches a check off (figures are reported anyway).

  Latency budgets gate batch 1 (other batch sizes are measured and reported
  as not gated) within `Benchmark.latency_tolerance`, so that measurement
  noise cannot fail a candidate: a model compared with itself passes.

  Attributes:
    max_size_bytes: Largest accepted .tflite size in bytes.
    min_size_ratio: Smallest accepted baseline size / candidate size.
    max_latency_ms: Largest accepted median latency at batch 1, in ms
      (passes up to max_latency_ms x (1 + latency_tolerance)).
    min_latency_ratio: Smallest accepted baseline / candidate latency at
      batch 1 (speed-up; 1.0 = not slower): the median of per-round ratios
      passes when the upper bound of its 95 % confidence interval is at
      least min_latency_ratio x (1 - latency_tolerance).
    max_peak_memory_bytes: Largest accepted peak memory of the interpreter
      (resident set growth of a process that loads and runs the model).
  """

  max_size_bytes: Optional[int] = None
  min_size_ratio: Optional[float] = None
  max_latency_ms: Optional[float] = None
  min_latency_ratio: Optional[float] = None
  max_peak_memory_bytes: Optional[int] = None

  def __post_init__(self):
    set_ = lambda k, v: object.__setattr__(self, k, v)
    for name in ("max_size_bytes", "max_peak_memory_bytes"):
      _optional(getattr(self, name), config_utils.check_int, f"budgets.{name}",
                minimum=0)
    for name in ("min_size_ratio", "max_latency_ms", "min_latency_ratio"):
      set_(name, _optional(getattr(self, name), config_utils.check_float,
                           f"budgets.{name}", minimum=0.0))


@dataclasses.dataclass(frozen=True)
class Benchmark:
  """How latency and memory are measured (same settings for both models).

  Attributes:
    num_threads: Interpreter threads (1 gives repeatable figures).
    warmup_runs: Invocations before timing starts.
    runs: Timed invocations per model and batch size; median and p90 are
      reported.
    rounds: The runs are split into this many rounds, candidate and
      baseline alternating, to spread machine drift over both.
    batch_size: A second batch size measured besides batch 1 (not gated).
    measure_memory: Measure peak memory in a child process per model.
    latency_tolerance: Relative slack of the latency budgets (see Budgets).
  """

  num_threads: int = 1
  warmup_runs: int = 10
  runs: int = 100
  rounds: int = 10
  batch_size: int = 32
  measure_memory: bool = True
  latency_tolerance: float = 0.05

  def __post_init__(self):
    config_utils.check_int(self.num_threads, "benchmark.num_threads", 1, 64)
    config_utils.check_int(self.warmup_runs, "benchmark.warmup_runs", 0)
    config_utils.check_int(self.runs, "benchmark.runs", 1, 100_000)
    config_utils.check_int(self.rounds, "benchmark.rounds", 1, 1000)
    object.__setattr__(self, "latency_tolerance", config_utils.check_float(
        self.latency_tolerance, "benchmark.latency_tolerance", 0.0, 0.5))
    config_utils.check_int(self.batch_size, "benchmark.batch_size", 1, 4096)
    if not isinstance(self.measure_memory, bool):
      raise CompressionConfigError(
          f"benchmark.measure_memory must be a bool; got {self.measure_memory!r}")


_NESTED = {"budgets": Budgets, "benchmark": Benchmark}

# The component's one exec property (its spec's parameter).
CONFIG_KEY = "evaluator_config"


@dataclasses.dataclass(frozen=True)
class CompressionEvaluatorConfig(config_utils.JsonConfig, key=CONFIG_KEY,
                                 label="CompressionEvaluator config"):
  """What CompressionEvaluator checks before it blesses a candidate.

  Attributes:
    label_key: The label: a feature of the examples, or an output of the
      Transform graph; None derives it (the one feature of the examples the
      baseline's serving_default does not parse and no input reads).
    prediction_key: The output compared with the label (a serving
      signature output key, which converted TFLite models keep); None: the
      models' only output.
    example_split: Split of the examples evaluated.
    task: 'multiclass', 'binary' or 'regression'; None reads it from the
      baseline (its compiled loss and output activation when it was saved
      by Keras, its output width and values) and the labels (`lib/evaluation/task.py`).
      Recorded on the evaluation and the blessing.
    metrics: Metrics with their accepted drop versus the baseline; empty:
      the task's defaults (`default_metrics`).
    slices: Feature-key tuples to slice by, e.g. (('label',),); the whole
      split is always evaluated too.
    budgets: Size, latency and memory limits.
    benchmark: Latency and memory measurement settings.
    gate_on: 'point' (default): a metric passes when its measured change is
      within the allowed one; 'interval': when the pessimistic end of its
      95 % paired bootstrap interval is (accuracy, AUC, MSE, MAE on the
      whole split; see uncertainty.py), so a small eval split cannot bless
      by luck. Either way the report gives each interval and warns when the
      split is too small for the threshold.
    eval_config: Your own `tfma.EvalConfig` (the proto, or its JSON) instead
      of `metrics` and `slices`: its metrics, value and change thresholds
      (per slice too), slicing specs and options are used, and the label
      and prediction keys of its first model spec when `label_key` /
      `prediction_key` are None. Model specs are ours (see eval_config.py).
  """

  label_key: Optional[str] = None
  prediction_key: Optional[str] = None
  example_split: str = "eval"
  task: Optional[Task] = None
  metrics: Tuple[MetricThreshold, ...] = ()
  slices: Tuple[Tuple[str, ...], ...] = ()
  budgets: Budgets = Budgets()
  benchmark: Benchmark = Benchmark()
  eval_config: Optional[str] = None
  gate_on: str = "point"

  def __post_init__(self):
    set_ = lambda k, v: object.__setattr__(self, k, v)
    if self.gate_on not in GATE_ON:
      raise CompressionConfigError(
          f"gate_on must be one of {list(GATE_ON)}; got {self.gate_on!r}")
    config_utils.check_nonempty_str(self.example_split, "example_split")
    for name in ("label_key", "prediction_key"):
      if getattr(self, name) is not None:
        config_utils.check_nonempty_str(getattr(self, name), name)
    if self.task is not None:
      set_("task", config_utils.parse_enum(Task, self.task, "task"))
    metrics = tuple(self.metrics) if isinstance(self.metrics, (list, tuple)) else None
    if metrics is None or not all(isinstance(m, MetricThreshold)
                                  for m in metrics):
      raise CompressionConfigError(
          "metrics must be a sequence of MetricThreshold (empty: the task's "
          f"defaults); got {self.metrics!r}")
    names = [m.name for m in metrics]
    if len(set(names)) != len(names):
      raise CompressionConfigError(f"metrics must be distinct; got {names}")
    set_("metrics", metrics)
    set_("slices", _slices(self.slices))
    for name, cls in _NESTED.items():
      if not isinstance(getattr(self, name), cls):
        raise CompressionConfigError(
            f"{name} must be a {cls.__name__}; got {getattr(self, name)!r}")
    if self.eval_config is not None:
      set_("eval_config", _eval_config_json(self.eval_config))
      if self.metrics or self.slices:
        raise CompressionConfigError(
            "set metrics and slices in eval_config or in metrics/slices, not "
            "both; got eval_config with metrics="
            f"{[m.class_name for m in self.metrics]} and slices={self.slices}")
    if (self.budgets.max_peak_memory_bytes is not None and
        not self.benchmark.measure_memory):
      raise CompressionConfigError(
          "budgets.max_peak_memory_bytes needs benchmark.measure_memory=True")

  def metrics_for(self, task: Task) -> Tuple[MetricThreshold, ...]:
    """The metrics gated for a model of `task`: ours, else its defaults."""
    return self.metrics or default_metrics(task)

  @classmethod
  def field_converters(cls):
    nested = lambda c, field: lambda v: config_utils.from_mapping(c, v, field)
    return {
        "metrics": lambda v: tuple(
            config_utils.from_mapping(MetricThreshold, m, "metrics")
            for m in config_utils.check_sequence(v, "metrics")),
        "slices": lambda v: config_utils.check_sequence(v, "slices"),
        "budgets": nested(Budgets, "budgets"),
        "benchmark": nested(Benchmark, "benchmark"),
    }


def default_metrics(task: Task) -> Tuple[MetricThreshold, ...]:
  """What each task is judged by when `metrics` is empty.

  multiclass: accuracy may drop 0.02. binary: AUC (ranking, any threshold)
  0.01 and accuracy at 0.5 0.02. regression: mean squared and mean absolute
  error may each grow 10 % over the baseline's.
  """
  task = Task(task)
  if task is Task.BINARY:
    return (MetricThreshold("AUC", 0.01),
            MetricThreshold("BinaryAccuracy", 0.02))
  if task is Task.REGRESSION:
    return (MetricThreshold("MeanSquaredError", 0.1, relative=True),
            MetricThreshold("MeanAbsoluteError", 0.1, relative=True))
  return (MetricThreshold(),)


def _eval_config_json(value) -> str:
  """A tfma.EvalConfig proto or its JSON, as JSON text."""
  if hasattr(value, "DESCRIPTOR"):
    from google.protobuf import json_format  # pylint: disable=g-import-not-at-top
    return json_format.MessageToJson(value, sort_keys=True)
  if isinstance(value, dict):
    return json.dumps(value, sort_keys=True)
  if not isinstance(value, str):
    raise CompressionConfigError(
        "eval_config must be a tfma.EvalConfig, its JSON text or a mapping; "
        f"got {type(value).__name__}")
  try:
    parsed = json.loads(value)
  except ValueError as e:
    raise CompressionConfigError(f"eval_config is not JSON: {e}") from e
  if not isinstance(parsed, dict):
    raise CompressionConfigError(
        f"eval_config must be a JSON object; got {type(parsed).__name__}")
  return value


def _slices(value) -> Tuple[Tuple[str, ...], ...]:
  if isinstance(value, str) or not isinstance(value, (list, tuple)):
    raise CompressionConfigError(
        f"slices must be a sequence of feature-key tuples, e.g. (('label',),); "
        f"got {value!r}")
  result = []
  for keys in value:
    keys = (keys,) if isinstance(keys, str) else keys
    if (not isinstance(keys, (list, tuple)) or not keys or
        not all(isinstance(k, str) and k for k in keys)):
      raise CompressionConfigError(
          f"each slice must be a non-empty tuple of feature keys; got {keys!r}")
    result.append(tuple(keys))
  return tuple(result)
