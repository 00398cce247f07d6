"""The compression pipeline as a pure function: arguments in, tfx Pipeline out."""

import dataclasses
import os
from typing import List, Optional


TRAINER_RUN_FN = "tfx_compression.pipelines.digits_trainer.run_fn"
# ImportExampleGen hash buckets: 80 % train, 20 % eval.
TRAIN_BUCKETS, EVAL_BUCKETS = 4, 1


@dataclasses.dataclass(frozen=True)
class HostPipeline:
  """The components of a user's pipeline up to its Trainer.

  `transform` and `schema_gen` are None without a preprocessing module.
  """

  example_gen: object
  trainer: object
  statistics_gen: Optional[object] = None
  schema_gen: Optional[object] = None
  transform: Optional[object] = None

  @property
  def components(self) -> List[object]:
    return [c for c in (self.example_gen, self.statistics_gen,
                        self.schema_gen, self.transform, self.trainer)
            if c is not None]

  @property
  def examples(self):
    """The raw Examples channel (what serving signatures parse)."""
    return self.example_gen.outputs["examples"]

  @property
  def model(self):
    return self.trainer.outputs["model"]

  @property
  def transform_graph(self):
    return self.transform.outputs["transform_graph"] if self.transform else None

  @property
  def schema(self):
    return self.schema_gen.outputs["schema"] if self.schema_gen else None


def _example_gen(data_root: str):
  # pylint: disable=g-import-not-at-top
  import glob
  from tfx.components.example_gen.csv_example_gen.component import CsvExampleGen
  from tfx.components.example_gen.import_example_gen.component import ImportExampleGen
  from tfx.proto import example_gen_pb2
  output_config = example_gen_pb2.Output(split_config=example_gen_pb2.SplitConfig(
      splits=[example_gen_pb2.SplitConfig.Split(name="train",
                                                hash_buckets=TRAIN_BUCKETS),
              example_gen_pb2.SplitConfig.Split(name="eval",
                                                hash_buckets=EVAL_BUCKETS)]))
  files = glob.glob(os.path.join(data_root, "*"))
  is_csv = bool(files) and all(f.endswith(".csv") for f in files)
  return (CsvExampleGen if is_csv else ImportExampleGen)(
      input_base=data_root, output_config=output_config)


def host_pipeline(data_root: str, train_epochs: int,
                  trainer_run_fn: str = TRAINER_RUN_FN,
                  trainer_module_file: Optional[str] = None,
                  transform_module_file: Optional[str] = None,
                  train_steps: Optional[int] = None,
                  custom_config: Optional[dict] = None) -> HostPipeline:
  """Builds ExampleGen [-> StatisticsGen -> SchemaGen -> Transform] -> Trainer.

  Args:
    data_root: Directory of tf.Example TFRecord files (ImportExampleGen) or of
      CSV files with a header (CsvExampleGen, when every file ends in .csv).
    train_epochs: Passed to the Trainer as custom_config['epochs'].
    trainer_run_fn: Dotted path of the Trainer's run_fn (when no module file).
    trainer_module_file: A Trainer module file defining `run_fn`.
    transform_module_file: A module file defining `preprocessing_fn`: adds
      StatisticsGen, SchemaGen and Transform, and the Trainer then trains on
      the transformed examples with the transform graph and schema, as in
      TFX's own examples.
    train_steps: TrainArgs.num_steps (a Trainer whose input_fn repeats, as in
      TFX's examples, needs it); None leaves it unset.
    custom_config: More Trainer custom_config entries.
  """
  # pylint: disable=g-import-not-at-top
  from tfx.components.trainer.component import Trainer
  from tfx.proto import trainer_pb2
  example_gen = _example_gen(data_root)
  statistics_gen = schema_gen = transform = None
  trainer_inputs = {"examples": example_gen.outputs["examples"]}
  if transform_module_file:
    from tfx.components.schema_gen.component import SchemaGen
    from tfx.components.statistics_gen.component import StatisticsGen
    from tfx.components.transform.component import Transform
    statistics_gen = StatisticsGen(examples=example_gen.outputs["examples"])
    schema_gen = SchemaGen(statistics=statistics_gen.outputs["statistics"],
                           infer_feature_shape=True)
    transform = Transform(examples=example_gen.outputs["examples"],
                          schema=schema_gen.outputs["schema"],
                          module_file=transform_module_file)
    trainer_inputs = {
        "examples": transform.outputs["transformed_examples"],
        "transform_graph": transform.outputs["transform_graph"],
        "schema": schema_gen.outputs["schema"]}
  source = ({"module_file": trainer_module_file} if trainer_module_file
            else {"run_fn": trainer_run_fn})
  trainer = Trainer(
      train_args=trainer_pb2.TrainArgs(num_steps=train_steps),
      eval_args=trainer_pb2.EvalArgs(
          num_steps=max(1, train_steps // 10) if train_steps else None),
      custom_config=dict(custom_config or {}, epochs=train_epochs),
      **trainer_inputs, **source)
  return HostPipeline(example_gen=example_gen, trainer=trainer,
                      statistics_gen=statistics_gen, schema_gen=schema_gen,
                      transform=transform)


def example_gen_and_trainer(data_root: str, train_epochs: int,
                            trainer_run_fn: str = TRAINER_RUN_FN,
                            trainer_module_file: Optional[str] = None,
                            custom_config: Optional[dict] = None):
  """Returns (ExampleGen, Trainer) for the data in `data_root` (no Transform).

  See `host_pipeline` for the arguments.
  """
  host = host_pipeline(data_root, train_epochs, trainer_run_fn,
                       trainer_module_file, custom_config=custom_config)
  return host.example_gen, host.trainer


def create_pipeline(pipeline_name: str,
                    pipeline_root: str,
                    data_root: str,
                    metadata_path: Optional[str] = None,
                    plan=None,
                    train_epochs: int = 12,
                    beam_pipeline_args: Optional[List[str]] = None,
                    enable_cache: bool = True,
                    trainer_run_fn: str = TRAINER_RUN_FN,
                    trainer_module_file: Optional[str] = None,
                    transform_module_file: Optional[str] = None,
                    train_steps: Optional[int] = None):
  """Builds the host pipeline (see `host_pipeline`) -> compression branches.

  Args:
    pipeline_name: Name of the pipeline (and of its MLMD context).
    pipeline_root: Root directory of the artifacts.
    data_root: Directory of tf.Example TFRecord or CSV files to ingest.
    metadata_path: SQLite MLMD file for local runs; None to let the runner
      provide the connection (Kubeflow).
    plan: A `compression.CompressionPlan`: which branches, evaluation and
      push destination; None for the plan's defaults.
    train_epochs: Trainer epochs.
    beam_pipeline_args: Arguments for Beam-powered components.
    enable_cache: Reuse executions whose inputs and properties did not change.
    trainer_run_fn: Dotted path of the Trainer's run_fn (default: digits CNN).
    trainer_module_file: A Trainer module file with run_fn, instead.
    transform_module_file: A module file with `preprocessing_fn` (Transform).
    train_steps: The Trainer's TrainArgs.num_steps.

  Returns:
    A `tfx.orchestration.pipeline.Pipeline`.
  """
  # pylint: disable=g-import-not-at-top
  from tfx.orchestration import metadata
  from tfx.orchestration import pipeline as tfx_pipeline
  from tfx_compression.pipelines import compression
  host = host_pipeline(data_root, train_epochs, trainer_run_fn,
                       trainer_module_file, transform_module_file, train_steps)
  plan = plan or compression.CompressionPlan()
  # The plan against the data, before the Trainer trains.
  preflight = compression.preflight(host.examples, plan)
  host.trainer.add_upstream_node(preflight)
  components = host.components + [preflight] + compression.add_compression(
      host.examples, host.model, plan,
      transform_graph=host.transform_graph, schema=host.schema)
  connection = (metadata.sqlite_metadata_connection_config(metadata_path)
                if metadata_path else None)
  return tfx_pipeline.Pipeline(
      pipeline_name=pipeline_name,
      pipeline_root=pipeline_root,
      components=components,
      enable_cache=enable_cache,
      metadata_connection_config=connection,
      beam_pipeline_args=beam_pipeline_args or [])
