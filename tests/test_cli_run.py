"""`tfx-compression run`: the pipeline on the user's data, plan from a file."""

import os

import pytest

from tfx_compression.pipelines import cli


def _run(tmp_path, data, config_text, suffix=".json", extra=()):
  config = tmp_path / f"plan{suffix}"
  config.write_text(config_text)
  return cli.main(["run", "--data", str(data), "--config", str(config),
                   "--run-fn", "tfx_compression.pipelines.digits_trainer.run_fn",
                   "--workdir", str(tmp_path / "work")] + list(extra))


@pytest.mark.parametrize("text, suffix, message", [
    ('{"prune": {}}', ".json", "unknown plan field(s) ['prune']"),
    ('{"pruner": {"schedule": {"kind": "constant", "target_sparsity": 1.5}}}',
     ".json", "schedule.target_sparsity must be in [0, 1); got 1.5"),
    ("ptq_modes: [int4]\n", ".yaml", "ptq_modes must be one of"),
    ("{not json", ".json", "is not valid"),
])
def test_bad_plan_file_is_one_line_and_exit_2(tmp_path, capsys, text, suffix,
                                              message):
  assert _run(tmp_path, tmp_path, text, suffix) == cli.EXIT_BAD_INPUT
  err = capsys.readouterr().err.strip()
  assert err.startswith("error: ") and message in err
  assert len(err.splitlines()) == 1


def test_missing_plan_file(tmp_path, capsys):
  code = cli.main(["run", "--data", str(tmp_path), "--config",
                   str(tmp_path / "nope.json"), "--run-fn", "a.b"])
  assert code == cli.EXIT_BAD_INPUT
  assert "--config file" in capsys.readouterr().err


def test_plan_round_trips_every_config_class():
  from tfx_compression.pipelines.compression import CompressionPlan  # pylint: disable=g-import-not-at-top
  plan = CompressionPlan.from_dict({
      "lite_optimizations": ["float16"], "ptq_modes": ["int8"],
      "ptq_config": {"num_calibration_examples": 50, "sampling": "per_class",
                     "label_key": "label"},
      "pruner": {"granularity": "m_by_n",
                 "selection": {"keep_first_and_last": True}},
      "qat": {"scheme": "prune_preserve"},
      "evaluator": {"budgets": {"max_size_bytes": 30000}},
      "push_destination": "/srv/models"})
  assert plan.pruner.selection.keep_first_and_last
  assert plan.ptq_config.num_calibration_examples == 50
  assert plan.evaluator.budgets.max_size_bytes == 30000


@pytest.mark.e2e
def test_run_on_user_data_with_yaml_plan(trained_pipeline, tmp_path, capsys):
  from conftest import PIPELINE_NAME  # pylint: disable=g-import-not-at-top
  config = tmp_path / "plan.yaml"
  config.write_text("lite_optimizations: [none]\nptq_modes: []\n"
                    "evaluator:\n  budgets:\n    max_size_bytes: 20000\n")
  code = cli.main(["run", "--data", trained_pipeline.data_root,
                   "--run-fn", "tfx_compression.pipelines.digits_trainer.run_fn",
                   "--config", str(config), "--workdir", trained_pipeline.workdir,
                   "--pipeline-name", PIPELINE_NAME])
  assert code == 0
  out = capsys.readouterr().out
  (row,) = [l.split() for l in out.splitlines() if l.startswith("none ")]
  assert row[6] == "NOT_BLESSED"  # 57 KB float model, 20 KB budget
  assert "NOT_BLESSED none: failed: size_bytes" in out



def test_transform_trainer_module_without_transform_module(tmp_path, capsys):
  import importlib.util  # pylint: disable=g-import-not-at-top
  module = importlib.util.find_spec(
      "tfx.examples.penguin.penguin_utils_keras").origin  # TFX's own module
  (tmp_path / "penguins.csv").write_text("species\n1\n")
  code = cli.main(["run", "--data", str(tmp_path), "--trainer-module", module])
  assert code == cli.EXIT_BAD_INPUT
  err = capsys.readouterr().err.strip()
  assert len(err.splitlines()) == 1
  assert "reads the Transform output (fn_args.transform_output)" in err
  assert f"add --transform-module {module}" in err


@pytest.mark.parametrize("args, message", [
    (["--data", "/nonexistent", "--run-fn", "a.b"],
     "--data '/nonexistent' is not a directory"),
    (["--data", "{tmp}", "--trainer-module", "/no/such/module.py"],
     "--trainer-module '/no/such/module.py' is not a file"),
])
def test_missing_inputs_are_refused_before_anything_runs(tmp_path, capsys,
                                                         args, message):
  (tmp_path / "x.csv").write_text("a\n1\n")
  args = [a.replace("{tmp}", str(tmp_path)) for a in args]
  assert cli.main(["run"] + args + ["--workdir",
                                    str(tmp_path / "w")]) == cli.EXIT_BAD_INPUT
  assert message in capsys.readouterr().err
  assert not (tmp_path / "w").exists()


@pytest.mark.e2e
def test_run_with_tfx_penguin_modules_shows_progress_and_results_only(
    tmp_path):
  """TFX's own penguin module as --trainer-module and --transform-module.

  The real command in a subprocess (the console as a user sees it): progress
  and results only, no TensorFlow/absl/Beam noise; that goes to the log.
  """
  import importlib.util  # pylint: disable=g-import-not-at-top
  import subprocess  # pylint: disable=g-import-not-at-top
  import sys  # pylint: disable=g-import-not-at-top
  import tfx_examples  # pylint: disable=g-import-not-at-top
  module = importlib.util.find_spec(
      "tfx.examples.penguin.penguin_utils_keras").origin
  data = tfx_examples.write_penguin_csv(str(tmp_path / "data"))
  config = tmp_path / "plan.yaml"
  config.write_text("lite_optimizations: [none]\nptq_modes: []\n"
                    "evaluator:\n  benchmark:\n    measure_memory: false\n")
  workdir = tmp_path / "work"
  cli_path = os.path.join(os.path.dirname(sys.executable), "tfx-compression")
  done = subprocess.run(
      [cli_path, "run", "--data", os.path.join(data, "labelled"),
       "--trainer-module", module, "--transform-module", module,
       "--train-steps", "100", "--config", str(config),
       "--workdir", str(workdir)], capture_output=True, text=True,
      timeout=900)
  assert done.returncode == 0, done.stderr[-3000:]
  shown = done.stdout + done.stderr
  for noise in ("cuDNN", "cuFFT", "W0000", "Ignored output_format",
                "fully_quantize", "FutureWarning", "WARNING:absl"):
    assert noise not in shown, noise
  for step in ("done Transform", "done Trainer",
               "done CompressionEvaluator.none"):
    assert step in done.stdout, (step, done.stdout)
  (row,) = [l.split() for l in done.stdout.splitlines()
            if l.startswith("none ")]
  assert row[6] == "BLESSED"
  assert float(row[1]) > 0.9  # accuracy of the raw-feature TFLite model
  log = open(workdir / "tfx-compression.log").read()
  assert "Ignored output_format" in log or "fully_quantize" in log
