"""A new user's first runs, driven through the CLI as they would type them.

scikit-learn's wine data (178 rows) as a CSV and a Trainer module written
like TFX's penguin_simple (`wine_trainer.py`): a CSV without the label
column, then a run without --train-steps (the module's input_fn repeats),
then the same run with it in the same workdir, where PTQ int8 fails its
agreement check (raw features of very different scales share one int8
scale before the `Normalization` layer) while the Pruner's branch is
blessed, selected and pushed.
"""

import json
import os

import pytest

import wine_trainer
from tfx_compression.pipelines import cli

PLAN = """\
lite_optimizations: []
ptq_modes: [int8]
pruner:
  schedule: {kind: constant, target_sparsity: 0.5}
evaluator:
  benchmark: {measure_memory: false}
"""


def _run(tmp_path, data, workdir, *extra):
  return cli.main(["run", "--data", str(data), "--trainer-module",
                   wine_trainer.__file__, "--config", str(tmp_path / "plan.yaml"),
                   "--workdir", str(tmp_path / workdir)] + list(extra))


@pytest.mark.e2e
def test_a_new_users_runs_say_what_to_change_and_one_bad_candidate_costs_only_itself(
    tmp_path, capsys):
  (tmp_path / "plan.yaml").write_text(PLAN)
  for name, with_label in (("data", True), ("unlabelled", False)):
    (tmp_path / name).mkdir()
    wine_trainer.write_csv(str(tmp_path / name / "wine.csv"), with_label)

  # The label column is missing: the Trainer's own parse error, by its cause.
  assert _run(tmp_path, tmp_path / "unlabelled", "other",
              "--train-steps", "50") == cli.EXIT_BAD_INPUT
  err = capsys.readouterr().err
  assert err.startswith("error: InvalidArgumentError: Name: <unknown>, "
                        "Feature: target (data type: int64) is required but "
                        "could not be found."), err
  assert "check the CSV header" in err and len(err.strip().splitlines()) == 1
  assert "Traceback" in open(tmp_path / "other" / cli.LOG_FILE).read()

  # The module's input_fn repeats and no --train-steps was given.
  assert _run(tmp_path, tmp_path / "data", "work") == cli.EXIT_BAD_INPUT
  captured = capsys.readouterr()
  assert "FAILED Trainer" in captured.out
  assert "give --train-steps N" in captured.err
  assert f"full log: {tmp_path / 'work' / cli.LOG_FILE}" in captured.err

  # The same run with the flag, in the same workdir: this run only.
  serving = tmp_path / "serving"
  assert _run(tmp_path, tmp_path / "data", "work", "--train-steps", "200",
              "--push-destination", str(serving)) == cli.EXIT_OK
  out = capsys.readouterr().out
  assert "cached CsvExampleGen" in out and "done Trainer" in out
  assert "FAILED" not in out, out  # the earlier run's failure is not replayed
  rows = {l.split()[0]: l.split() for l in out.splitlines()
          if l.startswith(("ptq_int8 ", "pruned_tflite "))}
  assert rows["ptq_int8"][6:] == ["REJECTED", "-", "no"]
  assert rows["pruned_tflite"][6:] == ["BLESSED", "winner", "yes"], out
  (rejected,) = [l for l in out.splitlines() if l.startswith("REJECTED")]
  assert "argmax matches the Keras model's on only" in rejected
  for option in ("ptq_config.float_layers", "ptq_config.max_auto_float_layers",
                 "ptq_config.min_argmax_agreement"):
    assert option in rejected
  evidence = rejected.rsplit("(evidence: ", 1)[1].rstrip(")")
  with open(os.path.join(evidence, "layer_errors.json")) as f:
    worst = max(json.load(f)["layers"], key=lambda layer: layer["rmse_over_scale"])
  assert "normalization" in worst["tensor_name"], worst
  assert "Pushed:        " + str(serving) in out
  assert os.listdir(serving)
  # 36 eval examples: one example (0.028) is more than max_drop (0.02).
  assert ("the allowed change 0.02 is smaller than one example of 36 "
          "(0.028)") in out
