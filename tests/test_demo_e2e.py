"""End to end: the README's demo command on the embedded digits data."""

import pytest

from tfx_compression.pipelines import cli


@pytest.mark.e2e
def test_demo_runs_pipeline_and_prints_table(trained_pipeline, capsys):
  from tfx_compression.pipelines import results  # pylint: disable=g-import-not-at-top
  assert cli.main(["demo", "--workdir", trained_pipeline.workdir]) == 0
  out = capsys.readouterr().out
  assert f"MLMD database: {trained_pipeline.metadata_path}" in out
  rows = {line.split()[0]: line.split() for line in out.splitlines()
          if line.startswith(("none ", "dynamic_range "))}
  assert set(rows) == {"none", "dynamic_range"}
  float_kb, dynamic_kb = float(rows["none"][1]), float(rows["dynamic_range"][1])
  assert dynamic_kb * 2.5 < float_kb
  assert float(rows["none"][3]) == 1.0
  # The session fixture already ran ExampleGen and Trainer: the demo reused
  # them from the cache instead of training again.
  trainer = results.latest_outputs(trained_pipeline.metadata_path,
                                   cli.PIPELINE_NAME, "Trainer")
  assert trainer["model"][0].uri == trained_pipeline.model.uri


def test_demo_rejects_nonpositive_epochs(capsys):
  with pytest.raises(SystemExit) as e:
    cli.main(["demo", "--epochs", "0"])
  assert e.value.code == cli.EXIT_BAD_INPUT
  assert "--epochs must be a positive integer; got '0'" in capsys.readouterr().err
