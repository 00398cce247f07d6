"""Training and evaluation data for components that fine-tune (Pruner, QAT).

Either the built-in reader (tf.Examples parsed into what the model reads,
through the Transform graph when the model reads transformed features, plus
the label) or the user's own `input_fn`, called like the TFX Trainer
templates' `_input_fn(file_pattern, data_accessor, tf_transform_output,
batch_size)`.
"""

import dataclasses
from typing import Any, Dict, List, Mapping, Optional

from tfx_compression.framework import artifact_io
from tfx_compression.errors import InputMismatchError
from tfx_compression.errors import InsufficientExamplesError
from tfx_compression.fine_tuning.spec import EXAMPLES_KEY
from tfx_compression.fine_tuning.spec import TRANSFORM_GRAPH_KEY
from tfx_compression.lib.keras.saved_model_info import FeatureInfo


# Real eval records the input model and the exported model are checked on.
NUM_CHECK_EXAMPLES = 64


@dataclasses.dataclass(frozen=True)
class CheckSample:
  """Real eval records, serialized and as model inputs, for equivalence checks."""

  serialized: List[bytes]
  inputs: Dict[str, Any]  # model input name -> numpy batch
  # Whether serving_default can parse these records (they are raw examples).
  servable: bool


@dataclasses.dataclass(frozen=True)
class TrainingData:
  train: Any  # tf.data.Dataset of (features, label) batches; may repeat
  eval: Any  # same, for evaluation
  steps_per_epoch: int
  source: str  # 'built-in reader' or the input_fn's name
  check: Optional[CheckSample] = None
  label: Optional[str] = None  # the label the built-in reader yields
  inputs_from: str = ""  # where the model inputs come from
  # The model inputs and label of a record (None when the label cannot be
  # derived for a user input_fn).
  space: Any = None
  eval_files: List[str] = dataclasses.field(default_factory=list)
  # The model's `task.ModelTask` (None when neither the model nor the data
  # tells, e.g. a user input_fn and a model without a compiled loss).
  task: Any = None


def _check_sample(files, space, serving_features, keys) -> CheckSample:
  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.data import examples_io
  from tfx_compression.lib.conversion import conversion_source
  serialized = examples_io.read_serialized(files, NUM_CHECK_EXAMPLES)
  return CheckSample(
      serialized=serialized,
      inputs=conversion_source.read_inputs(space, serialized),
      servable=serving_features is not None and set(serving_features) <= keys)


def _task(fine_tuning, loaded, labels):
  """The model's `task.ModelTask`, from `fine_tuning.task`, model and labels."""
  from tfx_compression.lib.evaluation import task as task_lib  # pylint: disable=g-import-not-at-top
  model = loaded.keras_model
  if model is None or len(model.outputs) != 1:
    return None
  return task_lib.from_keras(model, explicit=fine_tuning.task,
                             loss=fine_tuning.loss, labels=labels,
                             field="fine_tuning.task")


def _task_or_none(fine_tuning, loaded):
  """`_task` without labels; None when the model alone does not tell."""
  from tfx_compression.errors import CompressionConfigError  # pylint: disable=g-import-not-at-top
  try:
    return _task(fine_tuning, loaded, None)
  except CompressionConfigError:
    return None


def _check_splits(examples, fine_tuning, train_files, eval_files, space,
                  label: Optional[str], loaded):
  """Scans both splits: features the model reads, labels its task takes.

  Returns:
    The model's `task.ModelTask` (None without a single-output Keras model).
  """
  from tfx_compression.lib.data import example_stats  # pylint: disable=g-import-not-at-top
  model_task = None
  for split, files in ((fine_tuning.train_split, train_files),
                       (fine_tuning.eval_split, eval_files)):
    stats = example_stats.scan(
        files, f"split {split!r} of Examples {examples.uri}", label)
    example_stats.check_features(stats, space.parse, "the model")
    if label is not None:
      if model_task is None:
        model_task = _task(fine_tuning, loaded, stats.labels)
      example_stats.check_labels(stats, label, model_task, "the model",
                                 "fine_tuning.task")
  return model_task or _task_or_none(fine_tuning, loaded)


def load(inputs: Mapping[str, Any], fine_tuning, loaded,
         input_fn: Optional[str], module_file: Optional[str]) -> TrainingData:
  """Builds the train/eval datasets for `fine_tuning` from the input artifacts.

  The built-in reader feeds the model what it reads: the examples' features
  as they are, or raw features through the pipeline's Transform graph; the
  label is `fine_tuning.label_key` or derived (the feature serving_default
  does not parse).

  Args:
    inputs: The executor's input artifacts, one per key (examples, optional
      transform_graph: None when absent).
    fine_tuning: A `FineTuning` config.
    loaded: The input `model_loading.LoadedModel`.
    input_fn: A user input_fn instead of the built-in reader.
    module_file: Where `input_fn` is defined.

  Raises:
    CompressionConfigError: a split is missing or empty.
    InputMismatchError: the model inputs or the label cannot be read.
  """
  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.data import examples_io
  from tfx_compression.lib.data import feature_space
  from tfx_compression.lib.training import fit_loop
  examples = inputs[EXAMPLES_KEY]
  train_files = artifact_io.split_files(examples, fine_tuning.train_split)
  eval_files = artifact_io.split_files(examples, fine_tuning.eval_split)
  num_eval = examples_io.count_records(eval_files)
  if not num_eval:
    raise InsufficientExamplesError(
        f"split {fine_tuning.eval_split!r} of Examples {examples.uri} holds no "
        "examples: the model cannot be evaluated before and after "
        "fine-tuning.")
  steps = fine_tuning.steps_per_epoch or fit_loop.steps_per_epoch(
      examples_io.count_records(train_files), fine_tuning.batch_size)
  transform_graph = inputs.get(TRANSFORM_GRAPH_KEY)
  transform = transform_graph.uri if transform_graph is not None else None
  source = f"split {fine_tuning.train_split!r} of Examples {examples.uri}"
  keys = examples_io.feature_keys(train_files)
  specs = loaded.function.input_specs
  serving = loaded.info.serving_features
  space = feature_space.for_model(specs, keys, transform, source)
  try:
    label = feature_space.derive_label(fine_tuning.label_key, keys, serving,
                                       specs, source, transform)
  except InputMismatchError:
    if not input_fn:
      raise
    label = None  # The user's input_fn yields its own labels.
  model_task = None
  if not input_fn:
    model_task = _check_splits(examples, fine_tuning, train_files, eval_files,
                               space, label if label in keys else None, loaded)
  else:
    model_task = _task_or_none(fine_tuning, loaded)
  check = _check_sample(eval_files, space, serving, keys)
  if label is not None:
    label_info = None
    if label not in space.parse and label in keys:
      label_info = FeatureInfo(
          label, examples_io.feature_dtype(train_files, label), ())
    space = space.with_label(label, label_info)
  if not input_fn:
    make = lambda files, shuffle: feature_space.dataset(
        files, space, fine_tuning.batch_size, shuffle)
    return TrainingData(make(train_files, True), make(eval_files, False),
                        steps, "built-in reader", check, label,
                        space.description, space, eval_files, model_task)
  from tfx_compression.framework import user_code
  fn = user_code.load_fn("input_fn", input_fn, module_file)
  from tfx.components.trainer import fn_args_utils
  from tfx.proto import trainer_pb2
  from tfx.utils import proto_utils
  # TFX's Trainer helper takes the executor's input dict (lists of artifacts).
  input_dict = {k: [a] for k, a in inputs.items() if a is not None}
  args = fn_args_utils.get_common_fn_args(input_dict, {
      "train_args": proto_utils.proto_to_json(trainer_pb2.TrainArgs(
          splits=[fine_tuning.train_split])),
      "eval_args": proto_utils.proto_to_json(trainer_pb2.EvalArgs(
          splits=[fine_tuning.eval_split])),
  })
  transform_output = (feature_space.transform_output(transform)
                      if transform else None)
  make = lambda files: fn(files, args.data_accessor, transform_output,
                          fine_tuning.batch_size)
  # Trainer-style input functions usually repeat forever: bound evaluation.
  eval_steps = fit_loop.steps_per_epoch(num_eval, fine_tuning.batch_size)
  return TrainingData(make(args.train_files),
                      make(args.eval_files).take(eval_steps), steps, input_fn,
                      check, label, f"input_fn {input_fn}",
                      space if label is not None else None, eval_files,
                      model_task)
