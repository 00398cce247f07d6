"""Training and evaluation data for components that fine-tune (Pruner, QAT).

Either the built-in reader (tf.Examples parsed by the model's input names plus
a label key) or the user's own `input_fn`, called like the TFX Trainer
templates' `_input_fn(file_pattern, data_accessor, tf_transform_output,
batch_size)`.
"""

import contextlib
import dataclasses
from typing import Any, Dict, Iterator, List, Optional

from tfx.types import artifact_utils

from tfx_compression import artifact_io
from tfx_compression.errors import CompressionConfigError
from tfx_compression.training_spec import EXAMPLES_KEY
from tfx_compression.training_spec import MODEL_KEY
from tfx_compression.training_spec import MODEL_RUN_KEY
from tfx_compression.training_spec import TRANSFORM_GRAPH_KEY


@dataclasses.dataclass(frozen=True)
class FineTuningRun:
  """The artifacts of one fine-tuning executor run."""

  source: Any  # the input Model
  examples: Any  # the input Examples
  output: Any  # the output Model
  model_run: Any  # the output ModelRun
  source_dir: str  # the input's Keras SavedModel directory


@contextlib.contextmanager
def fine_tuning_run(input_dict: Dict[str, List], output_dict: Dict[str, List],
                    output_key: str, component: str) -> Iterator[FineTuningRun]:
  """Resolves a fine-tuning executor's artifacts; empties its outputs on failure.

  Raises:
    UnsupportedModelError: the input Model holds no Keras SavedModel.
  """
  output = artifact_utils.get_single_instance(output_dict[output_key])
  model_run = artifact_utils.get_single_instance(output_dict[MODEL_RUN_KEY])
  with artifact_io.cleared_on_failure(output.uri), \
      artifact_io.cleared_on_failure(model_run.uri):
    source = artifact_utils.get_single_instance(input_dict[MODEL_KEY])
    yield FineTuningRun(
        source=source,
        examples=artifact_utils.get_single_instance(input_dict[EXAMPLES_KEY]),
        output=output, model_run=model_run,
        source_dir=artifact_io.keras_dir(source.uri, component))


@dataclasses.dataclass(frozen=True)
class TrainingData:
  train: Any  # tf.data.Dataset of (features, label) batches; may repeat
  eval: Any  # same, for evaluation
  steps_per_epoch: int
  source: str  # 'built-in reader' or the input_fn's name


def load(input_dict: Dict[str, List], fine_tuning, specs,
         input_fn: Optional[str], module_file: Optional[str]) -> TrainingData:
  """Builds the train/eval datasets for `fine_tuning` from the input artifacts.

  Raises:
    CompressionConfigError: a split is missing or empty, or the label key is
      not a feature (built-in reader).
    InputMismatchError: a model input is not a feature (built-in reader).
  """
  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib import examples_io
  from tfx_compression.lib import fine_tuning as ft
  examples = artifact_utils.get_single_instance(input_dict[EXAMPLES_KEY])
  train_files = artifact_io.split_files(examples, fine_tuning.train_split)
  eval_files = artifact_io.split_files(examples, fine_tuning.eval_split)
  steps = fine_tuning.steps_per_epoch or ft.steps_per_epoch(
      ft.count_records(train_files), fine_tuning.batch_size)
  if not input_fn:
    source = f"split {fine_tuning.train_split!r} of Examples {examples.uri}"
    examples_io.check_inputs_are_features(
        specs, examples_io.feature_keys(train_files), source)
    ft.check_label(train_files, fine_tuning.label_key, source)
    make = lambda files, shuffle: ft.labelled_dataset(
        files, specs, fine_tuning.label_key, fine_tuning.batch_size, shuffle)
    return TrainingData(make(train_files, True), make(eval_files, False),
                        steps, "built-in reader")
  from tfx_compression import user_code
  fn = user_code.load_fn("input_fn", input_fn, module_file)
  from tfx.components.trainer import fn_args_utils
  from tfx.proto import trainer_pb2
  from tfx.utils import proto_utils
  args = fn_args_utils.get_common_fn_args(input_dict, {
      "train_args": proto_utils.proto_to_json(trainer_pb2.TrainArgs(
          splits=[fine_tuning.train_split])),
      "eval_args": proto_utils.proto_to_json(trainer_pb2.EvalArgs(
          splits=[fine_tuning.eval_split])),
  })
  transform_output = None
  if input_dict.get(TRANSFORM_GRAPH_KEY):
    import tensorflow_transform as tft
    transform_output = tft.TFTransformOutput(
        artifact_utils.get_single_uri(input_dict[TRANSFORM_GRAPH_KEY]))
  make = lambda files: fn(files, args.data_accessor, transform_output,
                          fine_tuning.batch_size)
  # Trainer-style input functions usually repeat forever: bound evaluation.
  eval_steps = ft.steps_per_epoch(ft.count_records(eval_files),
                                  fine_tuning.batch_size)
  return TrainingData(make(args.train_files),
                      make(args.eval_files).take(eval_steps), steps, input_fn)
