"""Command line: `tfx-compression demo` runs the pipeline on the embedded digits
data; `run` runs it on your data and Trainer; `compile-kubeflow` compiles what
`run` runs for Kubeflow Pipelines v2 or Vertex AI Pipelines.

Exit codes: 0 success, 1 a step failed on valid input (or an unexpected
error), 2 invalid input or configuration (plan, model, data, flags, a
workdir in use); see `exit_code`.
"""

import argparse
import os
import sys
import time

from tfx_compression.pipelines import sources

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

PIPELINE_NAME = "tfx-compression-demo"
LOG_FILE = "tfx-compression.log"  # <workdir>/: what a quiet run did not print
EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2


def _positive_int(flag: str):
  def parse(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
      raise argparse.ArgumentTypeError(
          f"{flag} must be a positive integer; got {text!r}")
    return int(text)
  return parse


def _pipeline_options() -> argparse.ArgumentParser:
  """The options of `run` and `compile-kubeflow`: both build one pipeline."""
  options = argparse.ArgumentParser(add_help=False)
  options.add_argument("--data", "--data-root", dest="data", required=True,
                       help="directory of tf.Example TFRecord files, or of CSV "
                       "files with a header (for Kubeflow: a gs:// path)")
  trainer = options.add_mutually_exclusive_group(required=True)
  trainer.add_argument("--trainer-module",
                       help="Trainer module file that defines run_fn (for "
                       "Kubeflow: packaged into a wheel under the pipeline "
                       "root when compiling, see kubeflow/README.md)")
  trainer.add_argument("--run-fn", help="dotted path of a Trainer run_fn "
                       "(for Kubeflow: importable in the image)")
  options.add_argument("--transform-module", default=None,
                       help="module file defining preprocessing_fn: adds "
                       "StatisticsGen, SchemaGen and Transform, and the Trainer "
                       "trains on the transformed examples (as in TFX's examples)")
  options.add_argument("--train-steps", type=_positive_int("--train-steps"),
                       default=None,
                       help="the Trainer's TrainArgs.num_steps (needed by "
                       "Trainer modules whose input_fn repeats, like TFX's "
                       "examples)")
  options.add_argument("--config", default=None,
                       help="JSON or YAML file holding a CompressionPlan "
                       "(lite_optimizations, ptq_modes, pruner, qat, "
                       "ptq_config, evaluator, push_destination, resources)")
  options.add_argument("--pipeline-name", default="tfx-compression",
                       help="pipeline name, also its MLMD context "
                       "(default: %(default)s)")
  options.add_argument("--epochs", type=_positive_int("--epochs"), default=12,
                       help="passed to the Trainer as custom_config['epochs'] "
                       "(default: %(default)s)")
  options.add_argument("--beam-arg", action="append", default=[],
                       dest="beam_args", metavar="ARG",
                       help="Beam pipeline argument, repeatable, e.g. "
                       "--beam-arg=--runner=DataflowRunner")
  options.add_argument("--push-destination", default=None,
                       help="where blessed models are pushed, instead of the "
                       "plan's push_destination")
  return options


def _parser() -> argparse.ArgumentParser:
  from tfx_compression.pipelines.kubeflow import Target  # pylint: disable=g-import-not-at-top
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
  options = _pipeline_options()
  run = commands.add_parser(
      "run", parents=[options],
      help="run the pipeline locally on your own data and Trainer")
  run.add_argument("--workdir", default="tfx_compression_run",
                   help="artifacts and MLMD database (default: %(default)s)")
  kfp = commands.add_parser(
      "compile-kubeflow", parents=[options],
      help="compile the pipeline `run` runs for open-source Kubeflow "
      "Pipelines v2 (YAML) or Vertex AI Pipelines (JSON)")
  kfp.add_argument("--pipeline-root", required=True,
                   help="artifact root the cluster can write, e.g. "
                   "gs://bucket/root (the kfp target's default root)")
  kfp.add_argument("--image", default=None,
                   help="fully qualified image with tfx-compression "
                   "installed, e.g. europe-docker.pkg.dev/project/repo/"
                   "tfx-compression:0.1.0 (default: the plan's "
                   "resources.image)")
  kfp.add_argument("--target", choices=[t.value for t in Target],
                   default="kfp",
                   help="kfp: pipeline spec YAML for open-source Kubeflow "
                   "Pipelines; vertex: PipelineJob JSON for Vertex AI "
                   "(default: %(default)s)")
  kfp.add_argument("--output", default=None,
                   help="file to write (default: pipeline.yaml for kfp, "
                   "pipeline.json for vertex)")
  return parser


def demo_plan(push_destination=None):
  """Every branch: float and dynamic-range TFLite, PTQ int8, and the seeds'
  pruning (polynomial 0.5 -> 0.8, first/last layers dense) followed by
  pruning-preserving QAT."""
  # pylint: disable=g-import-not-at-top
  from tfx_compression.pipelines.compression import CompressionPlan
  from tfx_compression.pruner.config import PolynomialDecay, PrunerConfig
  from tfx_compression.quantization_aware_trainer.config import QatConfig
  from tfx_compression.fine_tuning.config import FineTuning, LayerSelection
  return CompressionPlan(
      lite_optimizations=("none", "dynamic_range"), ptq_modes=("int8",),
      pruner=PrunerConfig(
          schedule=PolynomialDecay(0.5, 0.8, frequency=10),
          selection=LayerSelection(keep_first_and_last=True),
          fine_tuning=FineTuning(epochs=4)),
      qat=QatConfig(fine_tuning=FineTuning(epochs=3, learning_rate_scale=0.1)),
      push_destination=push_destination)


def run_demo(workdir: str, epochs: int, out=None) -> str:
  """Runs the demo pipeline in `workdir`; returns the final table as text."""
  # pylint: disable=g-import-not-at-top
  from tfx_compression.pipelines import digits_data
  from tfx_compression.pipelines import pipeline
  workdir = os.path.abspath(workdir)
  data_root = digits_data.write_digits_tfrecords(os.path.join(workdir, "data"))
  plan = demo_plan(push_destination=os.path.join(workdir, "serving"))
  metadata_path = os.path.join(workdir, "metadata.sqlite")
  return run_local(pipeline.create_pipeline(
      pipeline_name=PIPELINE_NAME,
      pipeline_root=os.path.join(workdir, "pipeline_root"),
      data_root=data_root, metadata_path=metadata_path, plan=plan,
      train_epochs=epochs), metadata_path, plan, out)


def _path(path):
  """A local path made absolute; a URI (gs://...) or None as it is."""
  return path if path is None or "://" in path else os.path.abspath(path)


def build_pipeline(args, plan, pipeline_root: str, metadata_path=None):
  """The tfx Pipeline that `run` runs and `compile-kubeflow` compiles.

  Args:
    args: Parsed options of `_pipeline_options`.
    plan: The CompressionPlan from `--config` (see `plan_file.load_plan`).
    pipeline_root: Root directory of the artifacts.
    metadata_path: SQLite MLMD file; None when the orchestrator provides MLMD.
  """
  from tfx_compression.pipelines import pipeline  # pylint: disable=g-import-not-at-top
  trainer = ({"trainer_module_file": _path(args.trainer_module)}
             if args.trainer_module else {"trainer_run_fn": args.run_fn})
  return pipeline.create_pipeline(
      pipeline_name=args.pipeline_name, pipeline_root=pipeline_root,
      data_root=_path(args.data), metadata_path=metadata_path, plan=plan,
      train_epochs=args.epochs, beam_pipeline_args=args.beam_args,
      transform_module_file=_path(args.transform_module),
      train_steps=args.train_steps, **trainer)


def _plan(args):
  """The plan of `--config`, with `--push-destination` applied."""
  import dataclasses  # pylint: disable=g-import-not-at-top
  from tfx_compression.pipelines import plan_file  # pylint: disable=g-import-not-at-top
  plan = plan_file.load_plan(args.config)
  if args.push_destination:
    plan = dataclasses.replace(plan, push_destination=args.push_destination)
  return plan


def run_local(tfx_pipeline, metadata_path: str, plan, out=None) -> str:
  """Runs `tfx_pipeline` with LocalDagRunner; prints and returns the table.

  Progress and results go to `out` (default: sys.stdout), e.g. the terminal
  of a `console.quiet` run.
  """
  # pylint: disable=g-import-not-at-top
  from tfx.orchestration.local import local_dag_runner
  from tfx_compression.pipelines import console
  from tfx_compression.pipelines import demo_report
  pipeline_name = tfx_pipeline.pipeline_info.pipeline_name
  out = out or sys.stdout
  say = lambda text: print(text, file=out, flush=True)
  say(f"Running {len(tfx_pipeline.components)} components (cached ones "
      "finish at once):")
  progress = console.Progress(metadata_path, pipeline_name,
                              [c.id for c in tfx_pipeline.components], out)
  progress.start()
  try:
    local_dag_runner.LocalDagRunner().run(tfx_pipeline)
  finally:
    progress.stop()
  variants = [c.id.split(".", 1)[1] for c in tfx_pipeline.components
              if c.id.startswith("CompressionEvaluator.")]
  table = demo_report.format_table(
      demo_report.rows(metadata_path, pipeline_name, variants))
  say(f"MLMD database: {metadata_path}")
  say(f"Artifacts:     {tfx_pipeline.pipeline_info.pipeline_root}")
  say(f"Pushed models: {plan.push_destination}")
  for variant in variants:
    html = _html_report(metadata_path, pipeline_name, variant)
    if html:
      say(f"Report ({variant}): {html}")
  say(table)
  chosen = demo_report.selection(metadata_path, pipeline_name)
  if chosen is not None:
    if chosen.comparison_html:
      say(f"Comparison:    {chosen.comparison_html}")
    say(f"Selected:      {chosen.variant or 'none'} ({chosen.reason})")
    if plan.push_destination:
      say(f"Pushed:        {chosen.pushed_to}" if chosen.pushed else
          "Pushed:        nothing (no candidate is selectable)")
  for line in (demo_report.refusals(metadata_path, pipeline_name, variants) +
               demo_report.warnings(metadata_path, pipeline_name, variants)):
    say(line)
  return table


def _html_report(metadata_path: str, pipeline_name: str, variant: str):
  # pylint: disable=g-import-not-at-top
  from tfx_compression.compression_evaluator import spec
  from tfx_compression.pipelines import results
  # pylint: enable=g-import-not-at-top
  outputs = results.latest_outputs(metadata_path, pipeline_name,
                                   f"CompressionEvaluator.{variant}")
  if not outputs:
    return None
  path = os.path.join(outputs[spec.EVALUATION_KEY][0].uri,
                      spec.REPORT_HTML_FILE)
  return path if os.path.exists(path) else None


def compile_kubeflow(args) -> str:
  """Compiles the pipeline of `args` for `args.target`; returns the file."""
  from tfx_compression.pipelines import kubeflow  # pylint: disable=g-import-not-at-top
  plan = _plan(args)
  target = kubeflow.Target(args.target)
  output = args.output or f"pipeline{kubeflow.OUTPUT_SUFFIXES[target][0]}"
  # Fail on the image or the file name before building (TFX imports ~20 s).
  image = kubeflow.resolve_image(args.image, plan.resources)
  kubeflow.check_output_path(output, target)
  sources.check(args, local_data=False)
  sources.check_cluster_paths(args, target, kubeflow.Target.VERTEX)
  # Building the module wheels prints setuptools' output: not on stdout.
  with sources.stdout_to_stderr():
    return kubeflow.compile_pipeline(
        build_pipeline(args, plan, args.pipeline_root), output,
        target=target, image=image, resources=plan.resources)


def exit_code(error: Exception) -> int:
  """The one exit-code rule: 2 for invalid input, 1 for a failed step.

  Our errors say which by their family (errors.py): ValueError (bad
  configuration, model or data) or RuntimeError (a step that failed on
  valid input). Anything else is a failure.
  """
  return EXIT_BAD_INPUT if isinstance(error, ValueError) and isinstance(
      error, _compression_error()) else EXIT_FAILURE


def _compression_error():
  from tfx_compression.errors import CompressionError  # pylint: disable=g-import-not-at-top
  return CompressionError


def main(argv=None) -> int:
  args = _parser().parse_args(argv)
  if not args.verbose:
    import warnings  # pylint: disable=g-import-not-at-top
    from absl import logging  # pylint: disable=g-import-not-at-top
    logging.set_verbosity(logging.WARNING)
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
  from tfx_compression.pipelines import console  # pylint: disable=g-import-not-at-top
  from tfx_compression.pipelines import workdir_lock  # pylint: disable=g-import-not-at-top
  start = time.monotonic()
  try:
    if args.command == "compile-kubeflow":
      print(f"{args.target} pipeline written to {compile_kubeflow(args)}")
      return EXIT_OK
    # The local commands end with a table and the demo's data: their extra
    # is named before anything runs, not after the pipeline.
    from tfx_compression import extras  # pylint: disable=g-import-not-at-top
    extras.require("tabulate", extras.DEMO, f"tfx-compression {args.command}")
    if args.command == "run":
      workdir, plan = os.path.abspath(args.workdir), _plan(args)
      sources.check(args, local_data=True)
      metadata_path = os.path.join(workdir, "metadata.sqlite")
      with workdir_lock.exclusive(workdir), console.quiet(
          os.path.join(workdir, LOG_FILE), args.verbose) as out:
        run_local(build_pipeline(args, plan,
                                 os.path.join(workdir, "pipeline_root"),
                                 metadata_path),
                  metadata_path, plan, out)
    else:
      workdir = os.path.abspath(args.workdir)
      with workdir_lock.exclusive(workdir), console.quiet(
          os.path.join(workdir, LOG_FILE), args.verbose) as out:
        run_demo(workdir, args.epochs, out)
  except Exception as e:  # pylint: disable=broad-except
    return _failed(args, e)
  print(f"{args.command} finished in {time.monotonic() - start:.0f} s"
        + _log_note(args))
  return EXIT_OK


def _log_note(args) -> str:
  """'; full log: <path>' for a run that writes one, else ''."""
  if args.verbose or args.command == "compile-kubeflow":
    return ""
  return f"; full log: {os.path.join(os.path.abspath(args.workdir), LOG_FILE)}"


def _failed(args, error: Exception) -> int:
  """Reports `error` in one line (its root cause), the traceback to the log
  (or, with --verbose, to stderr); the exit code never depends on --verbose."""
  import traceback  # pylint: disable=g-import-not-at-top
  from tfx_compression.framework import error_boundary  # pylint: disable=g-import-not-at-top
  trace = traceback.format_exc()
  ours = isinstance(error, _compression_error())
  logged = args.command != "compile-kubeflow" and not args.verbose and (
      # Invalid input refused before the run leaves no workdir behind.
      os.path.isdir(os.path.abspath(args.workdir)) or not ours)
  if args.verbose:
    print(trace, file=sys.stderr)
  elif logged:
    path = os.path.join(os.path.abspath(args.workdir), LOG_FILE)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "a") as log:
      log.write(trace)
  code = exit_code(error)
  if ours:
    line = f"error: {error}"
  else:
    text = getattr(error, "message", None) or str(error)
    line = f"error: {type(error).__name__}: {error_boundary.essence(text)}"
    for words, hint in _HINTS:
      if all(w in text for w in words):
        line, code = f"{line}; {hint}", EXIT_BAD_INPUT
  print(line + (_log_note(args) if logged else ""), file=sys.stderr)
  return code


# Errors of the user's own code or data that TFX passes on raw: what to do.
_HINTS = (
    (("infinite dataset", "number of steps"),
     "the Trainer module's input_fn repeats its dataset: give --train-steps "
     "N (TFX's TrainArgs.num_steps)"),
    (("is required but could not be found",),
     "the data lacks a feature the Trainer or Transform module reads: check "
     "the CSV header or the module's feature keys"),
    (("Data types don't match", "Data type: int64", "expected type: float"),
     "CsvExampleGen reads a column whose values are all whole numbers as "
     "int64: declare that feature tf.int64 in the module (and cast it), or "
     "write its values with a decimal point (1065.0)"),
)


if __name__ == "__main__":
  sys.exit(main())
