"""End to end: the README's demo command on the embedded digits data."""

import pytest

from tfx_compression.pipelines import cli


@pytest.mark.e2e
def test_demo_runs_pipeline_and_prints_table(trained_pipeline, capsys):
  from tfx_compression.pipelines import results  # pylint: disable=g-import-not-at-top
  assert cli.main(["demo", "--workdir", trained_pipeline.workdir]) == 0
  out = capsys.readouterr().out
  assert f"MLMD database: {trained_pipeline.metadata_path}" in out
  variants = ("none", "dynamic_range", "pruned_none", "pruned_dynamic_range")
  rows = {line.split()[0]: line.split() for line in out.splitlines()
          if line.split() and line.split()[0] in variants}
  assert set(rows) == set(variants)
  size = lambda v: float(rows[v][1])
  gzip = lambda v: float(rows[v][2])
  assert size("dynamic_range") * 2.5 < size("none")
  assert float(rows["none"][3]) == 1.0
  # Pruning shows after compression: 80 % zeros in the big layers.
  assert gzip("pruned_none") < 0.5 * gzip("none")
  assert gzip("pruned_dynamic_range") < gzip("dynamic_range")
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
