"""The compression pipeline as a pure function: arguments in, tfx Pipeline out."""

import os
from typing import List, Optional


TRAINER_RUN_FN = "tfx_compression.pipelines.digits_trainer.run_fn"
# ImportExampleGen hash buckets: 80 % train, 20 % eval.
TRAIN_BUCKETS, EVAL_BUCKETS = 4, 1


def example_gen_and_trainer(data_root: str, train_epochs: int,
                            trainer_run_fn: str = TRAINER_RUN_FN,
                            trainer_module_file: Optional[str] = None,
                            custom_config: Optional[dict] = None):
  """Returns (ExampleGen, Trainer) for the data in `data_root`.

  Args:
    data_root: Directory of tf.Example TFRecord files (ImportExampleGen) or of
      CSV files with a header (CsvExampleGen, when every file ends in .csv).
    train_epochs: Passed to the Trainer as custom_config['epochs'].
    trainer_run_fn: Dotted path of the Trainer's run_fn (when no module file).
    trainer_module_file: A Trainer module file defining `run_fn`.
    custom_config: More Trainer custom_config entries.
  """
  # pylint: disable=g-import-not-at-top
  import glob
  from tfx.components.example_gen.csv_example_gen.component import CsvExampleGen
  from tfx.components.example_gen.import_example_gen.component import ImportExampleGen
  from tfx.components.trainer.component import Trainer
  from tfx.proto import example_gen_pb2
  from tfx.proto import trainer_pb2
  output_config = example_gen_pb2.Output(split_config=example_gen_pb2.SplitConfig(
      splits=[example_gen_pb2.SplitConfig.Split(name="train",
                                                hash_buckets=TRAIN_BUCKETS),
              example_gen_pb2.SplitConfig.Split(name="eval",
                                                hash_buckets=EVAL_BUCKETS)]))
  files = glob.glob(os.path.join(data_root, "*"))
  is_csv = bool(files) and all(f.endswith(".csv") for f in files)
  example_gen = (CsvExampleGen if is_csv else ImportExampleGen)(
      input_base=data_root, output_config=output_config)
  source = ({"module_file": trainer_module_file} if trainer_module_file
            else {"run_fn": trainer_run_fn})
  trainer = Trainer(
      examples=example_gen.outputs["examples"],
      train_args=trainer_pb2.TrainArgs(),
      eval_args=trainer_pb2.EvalArgs(),
      custom_config=dict(custom_config or {}, epochs=train_epochs),
      **source)
  return example_gen, trainer


def create_pipeline(pipeline_name: str,
                    pipeline_root: str,
                    data_root: str,
                    metadata_path: Optional[str] = None,
                    plan=None,
                    train_epochs: int = 12,
                    beam_pipeline_args: Optional[List[str]] = None,
                    enable_cache: bool = True,
                    trainer_run_fn: str = TRAINER_RUN_FN,
                    trainer_module_file: Optional[str] = None):
  """Builds ImportExampleGen -> Trainer -> compression branches.

  Args:
    pipeline_name: Name of the pipeline (and of its MLMD context).
    pipeline_root: Root directory of the artifacts.
    data_root: Directory of tf.Example TFRecord files to ingest.
    metadata_path: SQLite MLMD file for local runs; None to let the runner
      provide the connection (Kubeflow).
    plan: A `compression.CompressionPlan`: which branches, evaluation and
      push destination; None for the plan's defaults.
    train_epochs: Trainer epochs.
    beam_pipeline_args: Arguments for Beam-powered components.
    enable_cache: Reuse executions whose inputs and properties did not change.
    trainer_run_fn: Dotted path of the Trainer's run_fn (default: digits CNN).
    trainer_module_file: A Trainer module file with run_fn, instead.

  Returns:
    A `tfx.orchestration.pipeline.Pipeline`.
  """
  # pylint: disable=g-import-not-at-top
  from tfx.orchestration import metadata
  from tfx.orchestration import pipeline as tfx_pipeline
  from tfx_compression.pipelines import compression
  example_gen, trainer = example_gen_and_trainer(
      data_root, train_epochs, trainer_run_fn, trainer_module_file)
  components = [example_gen, trainer] + compression.add_compression(
      example_gen.outputs["examples"], trainer.outputs["model"],
      plan or compression.CompressionPlan())
  connection = (metadata.sqlite_metadata_connection_config(metadata_path)
                if metadata_path else None)
  return tfx_pipeline.Pipeline(
      pipeline_name=pipeline_name,
      pipeline_root=pipeline_root,
      components=components,
      enable_cache=enable_cache,
      metadata_connection_config=connection,
      beam_pipeline_args=beam_pipeline_args or [])
