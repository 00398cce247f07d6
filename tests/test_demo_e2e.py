"""End to end: the README's demo command on the embedded digits data."""

import os

import pytest

from tfx_compression.pipelines import cli

VARIANTS = ("none", "dynamic_range", "ptq_int8", "pruned_tflite", "pruned_qat")


@pytest.mark.e2e
def test_demo_runs_every_branch_and_prints_the_table(trained_pipeline, capsys):
  from tfx_compression.pipelines import results  # pylint: disable=g-import-not-at-top
  assert cli.main(["demo", "--workdir", trained_pipeline.workdir]) == 0
  out = capsys.readouterr().out
  assert f"MLMD database: {trained_pipeline.metadata_path}" in out
  assert "  done Pruner.pruned (" in out  # progress lines
  rows = {line.split()[0]: line.split() for line in out.splitlines()
          if line.split() and line.split()[0] in VARIANTS}
  assert set(rows) == set(VARIANTS), out[-3000:]
  for variant, row in rows.items():
    _, accuracy, _, size_kb, gzip_kb, _, verdict, pushed = row
    assert verdict == "BLESSED" and pushed == "yes", row
    assert float(accuracy) > 0.95, row
    assert os.listdir(os.path.join(trained_pipeline.workdir, "serving", variant))
  size = lambda v: float(rows[v][3])
  gzip = lambda v: float(rows[v][4])
  assert size("ptq_int8") * 2.5 < size("none")
  # Pruning (80 % of the big layers) shows after compression.
  assert gzip("pruned_tflite") < 0.5 * gzip("none")
  assert gzip("pruned_qat") < gzip("ptq_int8")
  assert "report.html" in out
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
