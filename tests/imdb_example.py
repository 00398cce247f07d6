"""TFX's own IMDB native-Keras example pipeline, its module unmodified.

`tfx/examples/imdb/imdb_pipeline_native_keras._create_pipeline` with the
module `imdb_utils_native_keras.py` (Transform: a string vocabulary over the
review's words; Trainer: Embedding -> Bidirectional(LSTM) -> Dense -> Dense(1)
logits, saved with `tf.saved_model.save`) on the ~100 labelled reviews that
ship in the tfx wheel (`tfx/examples/imdb/data/`), split 9:1 by hash.

Only the Trainer's step counts are lowered (500/200 in the example), on the
component object: its `train_args` / `eval_args` exec properties, which TFX
stores as the protos' JSON.
"""

import os
import shutil

import tfx_examples

MODEL_FN = "tfx.examples.imdb.imdb_utils_native_keras._build_keras_model"


def _data_dir():
  from tfx.examples import imdb  # pylint: disable=g-import-not-at-top
  return os.path.join(os.path.dirname(imdb.__file__), "data")


def set_trainer_steps(trainer, train_steps: int, eval_steps: int) -> None:
  """Lowers a built Trainer's num_steps (its exec properties are JSON)."""
  # pylint: disable=g-import-not-at-top
  from google.protobuf import json_format
  from tfx.proto import trainer_pb2
  props = trainer.exec_properties
  train = json_format.Parse(props["train_args"], trainer_pb2.TrainArgs())
  evaluation = json_format.Parse(props["eval_args"], trainer_pb2.EvalArgs())
  train.num_steps, evaluation.num_steps = train_steps, eval_steps
  props["train_args"] = json_format.MessageToJson(
      train, sort_keys=True, preserving_proto_field_name=True)
  props["eval_args"] = json_format.MessageToJson(
      evaluation, sort_keys=True, preserving_proto_field_name=True)


def imdb_pipeline(workdir: str, train_steps: int = 20,
                  eval_steps: int = 5) -> tfx_examples.ExamplePipeline:
  """The example's `_create_pipeline` on a copy of its data in `workdir`."""
  # pylint: disable=g-import-not-at-top
  from tfx.examples.imdb import imdb_pipeline_native_keras
  from tfx.examples.imdb import imdb_utils_native_keras
  data_root = os.path.join(workdir, "data")
  shutil.copytree(_data_dir(), data_root)
  metadata_path = os.path.join(workdir, "metadata.sqlite")
  pipeline = imdb_pipeline_native_keras._create_pipeline(  # pylint: disable=protected-access
      pipeline_name="imdb_native_keras",
      pipeline_root=os.path.join(workdir, "pipeline_root"),
      data_root=data_root, module_file=imdb_utils_native_keras.__file__,
      serving_model_dir=os.path.join(workdir, "serving_model"),
      metadata_path=metadata_path, beam_pipeline_args=[])
  example = tfx_examples._described(pipeline, workdir, metadata_path)  # pylint: disable=protected-access
  set_trainer_steps(example.component("Trainer"), train_steps, eval_steps)
  return example
