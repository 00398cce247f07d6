"""Command line: `tfx-compression demo` runs the pipeline on the embedded digits data.

Exit codes: 0 success, 1 unexpected failure, 2 invalid input or configuration.
"""

import argparse
import os
import sys
import time

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

PIPELINE_NAME = "tfx-compression-demo"
EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2


def _positive_int(flag: str):
  def parse(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
      raise argparse.ArgumentTypeError(
          f"{flag} must be a positive integer; got {text!r}")
    return int(text)
  return parse


def _parser() -> argparse.ArgumentParser:
  parser = argparse.ArgumentParser(prog="tfx-compression", description=__doc__)
  parser.add_argument("--verbose", action="store_true",
                      help="show TFX logs and full tracebacks")
  commands = parser.add_subparsers(dest="command", required=True)
  demo = commands.add_parser(
      "demo", help="run the pipeline locally on the embedded digits data")
  demo.add_argument("--workdir", default="demo_output",
                    help="where data, artifacts and the MLMD database go "
                    "(default: %(default)s)")
  demo.add_argument("--epochs", type=_positive_int("--epochs"), default=12,
                    help="Trainer epochs (default: %(default)s)")
  kfp = commands.add_parser(
      "compile-kubeflow",
      help="write the Kubeflow Pipelines v2 JSON of the demo pipeline")
  kfp.add_argument("--pipeline-root", required=True,
                   help="artifact root the cluster can write, e.g. gs://bucket/root")
  kfp.add_argument("--data-root", required=True,
                   help="directory of tf.Example TFRecords the cluster can read")
  kfp.add_argument("--image", default=None,
                   help="container image with tfx-compression installed")
  kfp.add_argument("--output", default="tfx_compression_pipeline.json",
                   help="pipeline JSON to write (default: %(default)s)")
  kfp.add_argument("--beam-arg", action="append", default=[],
                   dest="beam_args", metavar="ARG",
                   help="Beam pipeline argument, repeatable, e.g. "
                   "--beam-arg=--runner=DataflowRunner")
  kfp.add_argument("--epochs", type=_positive_int("--epochs"), default=12)
  return parser


def compile_kubeflow(args) -> str:
  """Compiles the demo pipeline for Kubeflow; returns the JSON path."""
  # pylint: disable=g-import-not-at-top
  from tfx_compression.pipelines import kubeflow
  from tfx_compression.pipelines import pipeline
  tfx_pipeline = pipeline.create_pipeline(
      pipeline_name=PIPELINE_NAME, pipeline_root=args.pipeline_root,
      data_root=args.data_root, metadata_path=None, train_epochs=args.epochs,
      pruner_config=demo_pruner_config(), beam_pipeline_args=args.beam_args)
  return kubeflow.compile_pipeline(tfx_pipeline, args.output,
                                   image=args.image or kubeflow.DEFAULT_IMAGE)


def demo_pruner_config():
  """The seeds' schedule: polynomial 0.5 -> 0.8, first and last layers dense."""
  # pylint: disable=g-import-not-at-top
  from tfx_compression.pruner import config
  return config.PrunerConfig(
      schedule=config.PolynomialDecay(0.5, 0.8, frequency=10),
      selection=config.LayerSelection(keep_first_and_last=True),
      fine_tuning=config.FineTuning(epochs=4))


def run_demo(workdir: str, epochs: int) -> list:
  """Runs the demo pipeline in `workdir`.

  Returns:
    (variant, TFLite Model artifact) pairs, one per LiteConverter.
  """
  # pylint: disable=g-import-not-at-top
  from tfx.orchestration.local import local_dag_runner
  from tfx_compression.pipelines import digits_data
  from tfx_compression.pipelines import pipeline
  from tfx_compression.pipelines import results
  workdir = os.path.abspath(workdir)
  data_root = digits_data.write_digits_tfrecords(os.path.join(workdir, "data"))
  metadata_path = os.path.join(workdir, "metadata.sqlite")
  tfx_pipeline = pipeline.create_pipeline(
      pipeline_name=PIPELINE_NAME,
      pipeline_root=os.path.join(workdir, "pipeline_root"),
      data_root=data_root, metadata_path=metadata_path, train_epochs=epochs,
      pruner_config=demo_pruner_config())
  local_dag_runner.LocalDagRunner().run(tfx_pipeline)
  outputs = []
  prefix = pipeline.LITE_CONVERTER_ID + "."
  for component in tfx_pipeline.components:
    if component.id.startswith(prefix):
      for artifact in results.latest_outputs(
          metadata_path, PIPELINE_NAME, component.id).get("tflite_model", []):
        outputs.append((component.id[len(prefix):], artifact))
  print(f"MLMD database: {metadata_path}")
  print(f"Artifacts:     {os.path.join(workdir, 'pipeline_root')}")
  return outputs


def _print_table(outputs) -> None:
  from tfx_compression import properties  # pylint: disable=g-import-not-at-top
  header = ("variant", "size KB", "gzip KB", "agreement", "max |diff|", "uri")
  rows = []
  for variant, out in outputs:
    p = out.get_custom_property
    rows.append((variant,
                 f"{p(properties.SIZE_BYTES) / 1024:.1f}",
                 f"{p(properties.GZIP_SIZE_BYTES) / 1024:.1f}",
                 f"{p(properties.VALIDATION_ARGMAX_AGREEMENT):.4f}",
                 f"{p(properties.VALIDATION_MAX_ABS_DIFF):.2e}",
                 out.uri))
  widths = [max(len(str(r[i])) for r in rows + [header])
            for i in range(len(header))]
  for row in [header] + rows:
    print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)))


def main(argv=None) -> int:
  args = _parser().parse_args(argv)
  if not args.verbose:
    import warnings  # pylint: disable=g-import-not-at-top
    from absl import logging  # pylint: disable=g-import-not-at-top
    logging.set_verbosity(logging.WARNING)
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
  from tfx_compression.errors import CompressionError  # pylint: disable=g-import-not-at-top
  start = time.monotonic()
  try:
    if args.command == "compile-kubeflow":
      print(f"Kubeflow pipeline written to {compile_kubeflow(args)}")
      return EXIT_OK
    outputs = run_demo(args.workdir, args.epochs)
  except CompressionError as e:
    if args.verbose:
      raise
    print(f"error: {e}", file=sys.stderr)
    return EXIT_BAD_INPUT
  _print_table(outputs)
  print(f"Demo finished in {time.monotonic() - start:.0f} s")
  return EXIT_OK


if __name__ == "__main__":
  sys.exit(main())
