"""`run` on a user's small CSV whose plan asks for more than the data holds:
refused after ExampleGen, before the Trainer trains, naming the plan key."""

import os

import pytest

from tfx_compression.pipelines import cli


@pytest.mark.e2e
def test_calibration_larger_than_the_split_fails_before_training(
    tmp_path, capsys):
  data = tmp_path / "data"
  data.mkdir()
  rows = "\n".join(f"{i % 7}.5,{i % 3}" for i in range(60))
  (data / "wine.csv").write_text("alcohol,target\n" + rows + "\n")
  trainer = tmp_path / "trainer.py"
  trainer.write_text("def run_fn(fn_args):\n  raise RuntimeError('trained')\n")
  plan = tmp_path / "plan.yaml"
  plan.write_text("ptq_config:\n  num_calibration_examples: 200\n"
                  "evaluator:\n  label_key: target\n")
  work = tmp_path / "work"
  code = cli.main(["run", "--data", str(data), "--trainer-module",
                   str(trainer), "--config", str(plan), "--workdir",
                   str(work)])
  err = capsys.readouterr().err
  assert code == cli.EXIT_BAD_INPUT, err
  assert ("error: ptq_config.num_calibration_examples is 200, but the "
          "split(s) hold 'train' ") in err
  assert "trained" not in open(work / cli.LOG_FILE).read()
  assert not os.path.exists(work / "pipeline_root" / "Trainer")
