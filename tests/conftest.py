"""Shared fixtures: one real ExampleGen -> Trainer run per test session."""

import dataclasses
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# pylint: disable=g-import-not-at-top,wrong-import-position
import pytest

# The package sets TF_USE_LEGACY_KERAS=1 before TensorFlow loads.
from tfx_compression.pipelines.cli import PIPELINE_NAME
# pylint: enable=g-import-not-at-top,wrong-import-position

TRAIN_EPOCHS = 12


@dataclasses.dataclass(frozen=True)
class TrainedPipeline:
  """Where the session's pipeline lives and what it produced."""

  workdir: str
  data_root: str
  pipeline_root: str
  metadata_path: str
  examples: object  # tfx Examples artifact (splits train, eval)
  model: object  # tfx Model artifact (Keras SavedModel in Format-Serving)


# The longest single test (the Kubeflow launcher simulation, ~4 min): first,
# so that it never runs alone at the end.
_LONGEST_FIRST = ("test_kubeflow_launcher",)


def pytest_collection_modifyitems(items):
  """Modules with end-to-end pipelines first, the longest of them before the
  others (stable otherwise): with two test processes most long tests then
  start early rather than leaving one process busy at the end while the
  other idles."""
  slow = {item.module.__name__ for item in items
          if item.get_closest_marker("e2e")}
  items.sort(key=lambda item: (item.module.__name__ not in _LONGEST_FIRST,
                               item.module.__name__ not in slow))


@pytest.fixture(scope="session")
def trained_pipeline(tmp_path_factory) -> TrainedPipeline:
  """Runs ImportExampleGen -> Trainer on the digits data through LocalDagRunner.

  Later runs in the same workdir (the demo, README examples) reuse these two
  executions from the MLMD cache.
  """
  # pylint: disable=g-import-not-at-top
  from tfx.orchestration import metadata
  from tfx.orchestration import pipeline as tfx_pipeline
  from tfx.orchestration.local import local_dag_runner
  from tfx_compression.pipelines import digits_data
  from tfx_compression.pipelines import pipeline
  from tfx_compression.pipelines import results
  workdir = str(tmp_path_factory.mktemp("demo"))
  data_root = digits_data.write_digits_tfrecords(os.path.join(workdir, "data"))
  pipeline_root = os.path.join(workdir, "pipeline_root")
  metadata_path = os.path.join(workdir, "metadata.sqlite")
  example_gen, trainer = pipeline.example_gen_and_trainer(data_root,
                                                          TRAIN_EPOCHS)
  local_dag_runner.LocalDagRunner().run(tfx_pipeline.Pipeline(
      pipeline_name=PIPELINE_NAME, pipeline_root=pipeline_root,
      components=[example_gen, trainer], enable_cache=True,
      metadata_connection_config=metadata.sqlite_metadata_connection_config(
          metadata_path)))
  examples = results.latest_outputs(metadata_path, PIPELINE_NAME,
                                    example_gen.id)["examples"][0]
  model = results.latest_outputs(metadata_path, PIPELINE_NAME,
                                 trainer.id)["model"][0]
  return TrainedPipeline(workdir, data_root, pipeline_root, metadata_path,
                         examples, model)


@pytest.fixture(scope="session")
def keras_model(trained_pipeline):
  """The fixture's trained Keras model, loaded once (do not modify it)."""
  from tfx_compression.framework import artifact_io  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.keras import saved_model_io  # pylint: disable=g-import-not-at-top
  return saved_model_io.load_keras_model(
      artifact_io.serving_dir(trained_pipeline.model.uri), signatures=True)


@pytest.fixture(scope="session")
def eval_inputs(trained_pipeline, keras_model):
  """200 eval-split examples as model inputs, plus their labels."""
  # pylint: disable=g-import-not-at-top
  from tfx_compression.framework import artifact_io
  from tfx_compression.lib.data import examples_io
  from tfx_compression.lib.keras import saved_model_io
  files = artifact_io.split_files(trained_pipeline.examples, "eval")
  specs = saved_model_io.input_specs(keras_model)
  import tensorflow as tf
  ds = tf.data.TFRecordDataset(files, compression_type="GZIP").take(200)
  features, labels = next(iter(ds.batch(200).map(
      examples_io.parse_fn(specs, label_key="label"))))
  return {k: v.numpy() for k, v in features.items()}, labels.numpy()



@pytest.fixture(scope="session")
def penguin(tmp_path_factory):
  """TFX's own penguin pipeline (Transform, tf.saved_model.save Trainer,
  latest-blessed Resolver, Evaluator, Pusher), run once on test data.

  Tests append compression branches to it and re-run it from the cache.
  """
  import tfx_examples  # pylint: disable=g-import-not-at-top
  example = tfx_examples.penguin_pipeline(
      str(tmp_path_factory.mktemp("penguin")))
  tfx_examples.run(example)
  return example


@pytest.fixture(scope="session")
def float_tflite(trained_pipeline, tmp_path_factory):
  """The Trainer's model converted to float32 TFLite (a LiteConverter
  output): the test_compression_evaluator_*.py files' candidate."""
  import evaluator_runs  # pylint: disable=g-import-not-at-top
  return evaluator_runs.tflite_artifact(
      evaluator_runs.fresh_model(trained_pipeline),
      # The directory names the variant in the evaluator's report.
      str(tmp_path_factory.mktemp("evaluator") / "float_tflite"))


@pytest.fixture(scope="session")
def sigmoid(tmp_path_factory):
  """A binary model with one sigmoid output, trained the TFX way."""
  import task_models  # pylint: disable=g-import-not-at-top
  return task_models.train("sigmoid", str(tmp_path_factory.mktemp("sigmoid")))


@pytest.fixture(scope="session")
def logit(tmp_path_factory):
  """A binary model with one logit output (from_logits loss)."""
  import task_models  # pylint: disable=g-import-not-at-top
  return task_models.train("logit", str(tmp_path_factory.mktemp("logit")))


@pytest.fixture(scope="session")
def regression(tmp_path_factory):
  """A Dense(1) MSE regression model with a continuous label."""
  import task_models  # pylint: disable=g-import-not-at-top
  return task_models.train("regression",
                           str(tmp_path_factory.mktemp("regression")))
