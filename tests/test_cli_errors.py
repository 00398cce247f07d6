"""The CLI's failures: one line with the root cause, the traceback in the
log whose path is printed, and exit codes that do not depend on --verbose."""

import argparse
import os

import pytest

from tfx_compression.pipelines import cli


def _run(tmp_path, *before):
  config = tmp_path / "plan.json"
  config.write_text('{"prune": {}}')
  return cli.main(list(before) + [
      "run", "--data", str(tmp_path), "--config", str(config),
      "--run-fn", "a.run_fn", "--workdir", str(tmp_path / "work")])


def test_exit_code_is_the_same_with_verbose(tmp_path, capsys):
  (tmp_path / "work").mkdir()  # a workdir of earlier runs: it gets the log
  assert _run(tmp_path) == cli.EXIT_BAD_INPUT
  quiet = capsys.readouterr().err
  assert _run(tmp_path, "--verbose") == cli.EXIT_BAD_INPUT
  loud = capsys.readouterr().err
  assert "Traceback" in loud and "Traceback" not in quiet
  assert len(quiet.strip().splitlines()) == 1
  # The quiet run's traceback went to the log it names.
  log = os.path.join(str(tmp_path / "work"), cli.LOG_FILE)
  assert quiet.strip().endswith(f"; full log: {log}")
  assert "unknown plan field(s) ['prune']" in open(log).read()


def test_a_tensorflow_error_is_reported_by_its_cause(tmp_path, capsys):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  args = argparse.Namespace(verbose=False, command="run",
                            workdir=str(tmp_path / "w"))
  error = tf.errors.InvalidArgumentError(None, None, (
      "Graph execution error:\n\nDetected at node ParseExample\n"
      "Feature: target (data type: float) is required but could not be "
      "found.\n\t [[{{node ParseExample}}]]"))
  try:
    raise error
  except tf.errors.InvalidArgumentError as e:
    # The data lacks a feature: invalid input.
    assert cli._failed(args, e) == cli.EXIT_BAD_INPUT  # pylint: disable=protected-access
  err = capsys.readouterr().err
  assert "check the CSV header" in err
  assert err.startswith("error: InvalidArgumentError: Feature: target "
                        "(data type: float) is required")
  assert "full log: " in err
  assert "Traceback" in open(tmp_path / "w" / cli.LOG_FILE).read()


@pytest.mark.parametrize("flag", ["--trainer-module", "--transform-module"])
def test_a_module_that_does_not_compile_is_invalid_input(tmp_path, capsys,
                                                         flag):
  module = tmp_path / "trainer.py"
  module.write_text("def run_fn(fn_args):\n  return (\n")
  (tmp_path / "data.csv").write_text("x,label\n1,0\n")
  trainer = ["--run-fn", "a.run_fn"] if flag == "--transform-module" else []
  code = cli.main(["run", "--data", str(tmp_path), flag, str(module),
                   "--workdir", str(tmp_path / "work")] + trainer)
  assert code == cli.EXIT_BAD_INPUT
  err = capsys.readouterr().err
  assert f"{flag} {module} does not compile" in err and "line 2" in err, err


def test_hostile_plans_are_named_errors(tmp_path):
  # pylint: disable=g-import-not-at-top
  from tfx_compression.errors import CompressionConfigError
  from tfx_compression.pipelines import plan_file
  from tfx_compression.pipelines.compression import CompressionPlan
  # pylint: enable=g-import-not-at-top
  yaml_plan = tmp_path / "plan.yaml"
  yaml_plan.write_text("ptq_modes: [int8]\nlite_optimizations: []\n"
                       "ptq_modes: [float16]\n")
  with pytest.raises(CompressionConfigError,
                     match=r"key 'ptq_modes' is given twice \(lines 1 and 3\)"):
    plan_file.load_plan(str(yaml_plan))
  with pytest.raises(CompressionConfigError,
                     match=r"^pruner\.schedule must be a mapping "
                     r"with a 'kind'.*got 'poly'"):
    CompressionPlan.from_dict({"pruner": {"schedule": "poly"}})
  # Errors name the plan key path the user wrote, however deep.
  for plan, message in (
      ({"pruner": {"selection": {"exclude_names": 5}}},
       "pruner.selection.exclude_names must be a list of strings; got 5"),
      ({"pruner": {"selection": {"exclude_nams": ["a"]}}},
       "pruner.selection: unknown selection field(s) ['exclude_nams']"),
      ({"ptq_config": {"num_calibration_examples": 0}},
       "ptq_config.num_calibration_examples must be >= 1; got 0"),
      ({"pruner": {"fine_tuning": {"epochs": "x"}}},
       "pruner.fine_tuning.epochs must be an integer; got 'x'")):
    with pytest.raises(CompressionConfigError) as raised:
      CompressionPlan.from_dict(plan)
    assert str(raised.value).startswith(message), str(raised.value)
  plan = CompressionPlan.from_dict({"pruner": {"schedule": "constant"}})
  assert plan.pruner.schedule.target_sparsity == 0.5
  with pytest.raises(CompressionConfigError,
                     match=r"module_file '/nowhere/m.py' is not a file"):
    CompressionPlan(model_fn="build", module_file="/nowhere/m.py")


def test_a_tflite_model_saved_as_saved_model_pb_is_named(tmp_path):
  # pylint: disable=g-import-not-at-top
  from tfx_compression.errors import UnsupportedModelError
  from tfx_compression.lib.keras import saved_model_info
  # pylint: enable=g-import-not-at-top
  (tmp_path / "saved_model.pb").write_bytes(b"\x1c\x00\x00\x00TFL3" + bytes(40))
  with pytest.raises(UnsupportedModelError,
                     match="is a TFLite model saved under the SavedModel"):
    saved_model_info.read(str(tmp_path))


def test_vertex_compile_refuses_local_paths_by_flag(tmp_path, capsys):
  code = cli.main(["compile-kubeflow", "--target", "vertex", "--data",
                   str(tmp_path), "--pipeline-root", "gs://bucket/root",
                   "--run-fn", "a.run_fn", "--image", "registry.example/t:1",
                   "--output", str(tmp_path / "p.json")])
  assert code == cli.EXIT_BAD_INPUT
  err = capsys.readouterr().err
  assert f"--data '{tmp_path}' is a local path, which a vertex cluster " in err


@pytest.mark.parametrize("message, hint", [
    ("When providing an infinite dataset, you must specify the number of "
     "steps to run (if you did not intend to create an infinite dataset, "
     "make sure to not call `repeat()` on the dataset).",
     "give --train-steps N"),
    # CsvExampleGen typed a column of whole numbers int64; the module said float.
    ("Name: <unknown>, Key: proline, Index: 0.  Data types don't match. "
     "Data type: int64 but expected type: float",
     "declare that feature tf.int64 in the module"),
])
def test_raw_errors_of_user_code_get_the_change_to_make(tmp_path, capsys,
                                                        message, hint):
  args = argparse.Namespace(verbose=False, command="run",
                            workdir=str(tmp_path / "w"))
  try:
    raise ValueError(message)
  except ValueError as e:
    assert cli._failed(args, e) == cli.EXIT_BAD_INPUT  # pylint: disable=protected-access
  err = capsys.readouterr().err
  assert hint in err and message[:40] in err


def test_an_empty_split_is_named_as_empty_not_as_missing_features():
  import types  # pylint: disable=g-import-not-at-top
  from tfx_compression.errors import InsufficientExamplesError  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.conversion import conversion_source  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.options.conversion import TfliteInputs  # pylint: disable=g-import-not-at-top
  loaded = types.SimpleNamespace(
      function=types.SimpleNamespace(input_specs={}),
      info=types.SimpleNamespace(serving_features=None))
  with pytest.raises(InsufficientExamplesError,
                     match=r"split 'eval' \(/e\) holds no examples"):
    conversion_source.resolve(loaded, TfliteInputs.SERVING, None, [],
                          "split 'eval' (/e)")


def test_run_over_a_corrupt_tfrecord_names_the_file(tmp_path, capsys):
  import reliability_inputs as hostile  # pylint: disable=g-import-not-at-top
  data = tmp_path / "data"
  data.mkdir()
  (data / "a.tfrecord.gz").write_bytes(hostile.garbage_gzip())
  code = cli.main(["run", "--data", str(data), "--run-fn", "a.run_fn",
                   "--workdir", str(tmp_path / "work")])
  assert code == cli.EXIT_BAD_INPUT
  err = capsys.readouterr().err
  assert err.startswith(f"error: --data: file {data}/a.tfrecord.gz is corrupt "
                        "or truncated after record 0 (corrupted record at 0"), err
  assert "unless every file there ends in .csv" in err
  assert not (tmp_path / "work").exists()
