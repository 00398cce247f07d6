"""TFX's own example pipelines, run unmodified on test data.

Penguin and MNIST: their data files are not in the tfx wheel; the data here
follows their schemas: penguin (CSV: `species` int label 0-2 and four
measurements, `body_mass_g` an integer as in the original file) and MNIST
(tf.Examples: `image_floats` 784 floats in [-0.5, 0.5] and `image_class`),
the MNIST images being scikit-learn's real 8x8 digits scaled up to 28x28.
Chicago taxi (native Keras) and IMDB (native Keras): their data ships in the
wheel (a 600-row subset of taxi's), and only their Trainers' step counts are
lowered, on the component objects (`lower_trainer_steps`).
"""

import dataclasses
import os
from typing import Dict, List

import numpy as np

PENGUIN_FEATURES = ("culmen_length_mm", "culmen_depth_mm",
                    "flipper_length_mm", "body_mass_g")
# Per-species means and spreads, close to the Palmer penguins.
_PENGUIN_MEANS = np.array([[38.8, 18.3, 190.0, 3700.0],
                           [48.8, 18.4, 196.0, 3733.0],
                           [47.5, 15.0, 217.0, 5076.0]])
_PENGUIN_SPREAD = np.array([2.7, 1.2, 6.5, 460.0])
# The test's own model_fn for penguin: TFX's module builds its model from
# keras_tuner hyperparameters, so the user names a two-line wrapper.
PENGUIN_MODEL_FN_FILE = os.path.join(os.path.dirname(__file__),
                                     "penguin_model_fn.py")
MNIST_MODEL_FN = (
    "tfx.examples.mnist.mnist_utils_native_keras_base.build_keras_model")


def write_penguin_csv(data_root: str, n: int = 600, seed: int = 0) -> str:
  """Writes `<data_root>/labelled/penguins.csv`; returns `data_root`."""
  rng = np.random.default_rng(seed)
  species = rng.integers(0, 3, n)
  values = _PENGUIN_MEANS[species] + rng.normal(size=(n, 4)) * _PENGUIN_SPREAD
  os.makedirs(os.path.join(data_root, "labelled"), exist_ok=True)
  with open(os.path.join(data_root, "labelled", "penguins.csv"), "w") as f:
    f.write(",".join(("species",) + PENGUIN_FEATURES) + "\n")
    for label, row in zip(species, values):
      f.write(f"{label},{row[0]:.1f},{row[1]:.1f},{row[2]:.1f},{row[3]:.0f}\n")
  return data_root


def write_mnist_tfrecords(data_root: str) -> str:
  """Writes the digits as MNIST-schema tf.Examples; returns `data_root`."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from sklearn.datasets import load_digits  # pylint: disable=g-import-not-at-top
  digits = load_digits()
  images = np.zeros((len(digits.images), 28, 28), np.float32)
  images[:, 2:26, 2:26] = np.kron(digits.images / 16.0, np.ones((3, 3)))
  images -= 0.5
  os.makedirs(data_root, exist_ok=True)
  with tf.io.TFRecordWriter(os.path.join(data_root, "mnist.tfrecord")) as w:
    for image, label in zip(images, digits.target):
      w.write(tf.train.Example(features=tf.train.Features(feature={
          "image_floats": tf.train.Feature(
              float_list=tf.train.FloatList(value=image.ravel())),
          "image_class": tf.train.Feature(
              int64_list=tf.train.Int64List(value=[int(label)])),
      })).SerializeToString())
  return data_root


@dataclasses.dataclass(frozen=True)
class ExamplePipeline:
  """A TFX example pipeline's workdir and its components by id."""

  name: str
  workdir: str
  pipeline_root: str
  metadata_path: str
  components: Dict[str, object]
  ids: List[str]  # component ids in the example's own order

  def component(self, prefix: str):
    (match,) = [c for i, c in self.components.items() if i.startswith(prefix)]
    return match


def penguin_pipeline(workdir: str) -> ExamplePipeline:
  """TFX's penguin_pipeline_local.create_pipeline, as the example calls it."""
  # pylint: disable=g-import-not-at-top
  from tfx.examples.penguin import penguin_pipeline_local
  from tfx.examples.penguin import penguin_utils_keras
  data_root = write_penguin_csv(os.path.join(workdir, "data"))
  pipeline_root = os.path.join(workdir, "pipeline_root")
  metadata_path = os.path.join(workdir, "metadata.sqlite")
  pipeline = penguin_pipeline_local.create_pipeline(
      pipeline_name="penguin_local_keras", pipeline_root=pipeline_root,
      data_root=data_root, module_file=penguin_utils_keras.__file__,
      accuracy_threshold=0.6,
      serving_model_dir=os.path.join(workdir, "serving_model"),
      metadata_path=metadata_path, user_provided_schema_path=None,
      enable_tuning=False, enable_bulk_inferrer=False,
      enable_example_diff=False, examplegen_input_config=None,
      examplegen_range_config_date=None, resolver_range_config=None,
      beam_pipeline_args=[],
      enable_transform_input_cache=False)
  return _described(pipeline, workdir, metadata_path)


def mnist_pipeline(workdir: str) -> ExamplePipeline:
  """TFX's mnist_pipeline_native_keras._create_pipeline, unmodified."""
  # pylint: disable=g-import-not-at-top
  from tfx.examples.mnist import mnist_pipeline_native_keras
  from tfx.examples.mnist import mnist_utils_native_keras
  data_root = write_mnist_tfrecords(os.path.join(workdir, "data"))
  metadata_path = os.path.join(workdir, "metadata.sqlite")
  pipeline = mnist_pipeline_native_keras._create_pipeline(  # pylint: disable=protected-access
      pipeline_name="mnist_native_keras",
      pipeline_root=os.path.join(workdir, "pipeline_root"),
      data_root=data_root, module_file=mnist_utils_native_keras.__file__,
      serving_model_dir=os.path.join(workdir, "serving_model"),
      metadata_path=metadata_path, beam_pipeline_args=[],
      accuracy_threshold=0.5)
  return _described(pipeline, workdir, metadata_path)


TAXI_MODEL_FN = (
    "tfx.examples.chicago_taxi_pipeline.taxi_utils_native_keras."
    "_build_keras_model")
# What taxi's run_fn passes: max(2, int(100 * 0.7**i)) for i in 0..3
# (int(100 * 0.49) is 48 in floating point).
TAXI_HIDDEN_UNITS = [max(2, int(100 * 0.7**i)) for i in range(4)]
IMDB_MODEL_FN = "tfx.examples.imdb.imdb_utils_native_keras._build_keras_model"


def write_taxi_csv(data_root: str, every: int = 25) -> str:
  """Writes every `every`-th row of the wheel's taxi data.csv (header kept).

  Plus the rows carrying a `pickup_census_tract` (one in the whole file): an
  all-empty column would be read as strings by CsvExampleGen (the wheel's
  data makes it an int) and left out of every tf.Example.
  """
  from tfx.examples import chicago_taxi_pipeline  # pylint: disable=g-import-not-at-top
  source = os.path.join(os.path.dirname(chicago_taxi_pipeline.__file__),
                        "data", "simple", "data.csv")
  os.makedirs(data_root, exist_ok=True)
  with open(source) as f:
    header, *rows = f.read().splitlines()
  column = header.split(",").index("pickup_census_tract")
  subset = rows[::every] + [row for i, row in enumerate(rows)
                            if i % every and row.split(",")[column]]
  # Rows with empty cells (the example's _fill_in_missing handles them).
  assert any(",," in row or row.startswith(",") for row in subset)
  with open(os.path.join(data_root, "data.csv"), "w") as f:
    f.write("\n".join([header] + subset) + "\n")
  return data_root


def lower_trainer_steps(example: ExamplePipeline, train_steps: int,
                        eval_steps: int) -> None:
  """Lowers the example's Trainer num_steps (its exec properties are JSON)."""
  # pylint: disable=g-import-not-at-top
  from google.protobuf import json_format
  from tfx.proto import trainer_pb2
  props = example.component("Trainer").exec_properties
  for key, proto, steps in (("train_args", trainer_pb2.TrainArgs(),
                             train_steps),
                            ("eval_args", trainer_pb2.EvalArgs(), eval_steps)):
    message = json_format.Parse(props[key], proto)
    message.num_steps = steps
    props[key] = json_format.MessageToJson(
        message, sort_keys=True, preserving_proto_field_name=True)


def taxi_pipeline(workdir: str, train_steps: int = 20,
                  eval_steps: int = 5) -> ExamplePipeline:
  """taxi_pipeline_native_keras._create_pipeline on a subset of its data."""
  # pylint: disable=g-import-not-at-top
  from tfx.examples.chicago_taxi_pipeline import taxi_pipeline_native_keras
  from tfx.examples.chicago_taxi_pipeline import taxi_utils_native_keras
  metadata_path = os.path.join(workdir, "metadata.sqlite")
  pipeline = taxi_pipeline_native_keras._create_pipeline(  # pylint: disable=protected-access
      pipeline_name="chicago_taxi_native_keras",
      pipeline_root=os.path.join(workdir, "pipeline_root"),
      data_root=write_taxi_csv(os.path.join(workdir, "data")),
      module_file=taxi_utils_native_keras.__file__,
      serving_model_dir=os.path.join(workdir, "serving_model"),
      metadata_path=metadata_path, beam_pipeline_args=[])
  example = _described(pipeline, workdir, metadata_path)
  lower_trainer_steps(example, train_steps, eval_steps)
  return example


def imdb_pipeline(workdir: str, train_steps: int = 20,
                  eval_steps: int = 5) -> ExamplePipeline:
  """imdb_pipeline_native_keras._create_pipeline on a copy of its data."""
  # pylint: disable=g-import-not-at-top
  import shutil
  from tfx.examples import imdb
  from tfx.examples.imdb import imdb_pipeline_native_keras
  from tfx.examples.imdb import imdb_utils_native_keras
  data_root = os.path.join(workdir, "data")
  shutil.copytree(os.path.join(os.path.dirname(imdb.__file__), "data"),
                  data_root)
  metadata_path = os.path.join(workdir, "metadata.sqlite")
  pipeline = imdb_pipeline_native_keras._create_pipeline(  # pylint: disable=protected-access
      pipeline_name="imdb_native_keras",
      pipeline_root=os.path.join(workdir, "pipeline_root"),
      data_root=data_root, module_file=imdb_utils_native_keras.__file__,
      serving_model_dir=os.path.join(workdir, "serving_model"),
      metadata_path=metadata_path, beam_pipeline_args=[])
  example = _described(pipeline, workdir, metadata_path)
  lower_trainer_steps(example, train_steps, eval_steps)
  return example


def _described(pipeline, workdir: str, metadata_path: str) -> ExamplePipeline:
  return ExamplePipeline(
      name=pipeline.pipeline_info.pipeline_name, workdir=workdir,
      pipeline_root=pipeline.pipeline_info.pipeline_root,
      metadata_path=metadata_path,
      components={c.id: c for c in pipeline.components},
      ids=[c.id for c in pipeline.components])


def run(example: ExamplePipeline, extra_components=()) -> None:
  """Runs the example's components (plus `extra_components`) locally."""
  # pylint: disable=g-import-not-at-top
  from tfx.orchestration import metadata
  from tfx.orchestration import pipeline as tfx_pipeline
  from tfx.orchestration.local import local_dag_runner
  local_dag_runner.LocalDagRunner().run(tfx_pipeline.Pipeline(
      pipeline_name=example.name, pipeline_root=example.pipeline_root,
      components=[example.components[i] for i in example.ids] +
      list(extra_components),
      enable_cache=True,
      metadata_connection_config=metadata.sqlite_metadata_connection_config(
          example.metadata_path)))


def outputs(example: ExamplePipeline, node_id: str):
  from tfx_compression.pipelines import results  # pylint: disable=g-import-not-at-top
  return results.latest_outputs(example.metadata_path, example.name, node_id)


def resolved_ids(example: ExamplePipeline, resolver_id: str,
                 key: str = "model") -> List[int]:
  """Ids of the artifacts every execution of the Resolver `resolver_id` gave.

  (A consumer's input events cannot say it: MLMD records one event per
  artifact and execution, so a model given under two keys shows under one.)
  """
  # pylint: disable=g-import-not-at-top
  from ml_metadata import metadata_store
  from tfx.orchestration import metadata
  store = metadata_store.MetadataStore(
      metadata.sqlite_metadata_connection_config(example.metadata_path))
  context = store.get_context_by_type_and_name(
      "node", f"{example.name}.{resolver_id}")
  executions = [e.id for e in store.get_executions_by_context(context.id)]
  return [e.artifact_id for e in store.get_events_by_execution_ids(executions)
          if e.path.steps and e.path.steps[0].key == key]
