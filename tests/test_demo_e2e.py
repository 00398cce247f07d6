"""End to end: the README's demo command on the embedded digits data."""

import os

import pytest

from tfx_compression.compression_evaluator import spec as evaluator_spec
from tfx_compression.pipelines import cli

VARIANTS = ("none", "dynamic_range", "ptq_int8", "pruned_tflite", "pruned_qat")


@pytest.mark.e2e
def test_demo_runs_every_branch_and_pushes_one_winner(trained_pipeline,
                                                      capsys):
  # pylint: disable=g-import-not-at-top
  import json
  from tfx_compression.pipelines import results
  serving = os.path.join(trained_pipeline.workdir, "serving")
  # Other tests of the session may push there too (README examples).
  before = set(os.listdir(serving)) if os.path.isdir(serving) else set()
  assert cli.main(["demo", "--workdir", trained_pipeline.workdir]) == 0
  out = capsys.readouterr().out
  assert f"MLMD database: {trained_pipeline.metadata_path}" in out
  assert "  done Pruner.pruned (" in out  # progress lines
  rows = {line.split()[0]: line.split() for line in out.splitlines()
          if line.split() and line.split()[0] in VARIANTS}
  assert set(rows) == set(VARIANTS), out[-3000:]
  for variant, row in rows.items():
    _, accuracy, _, size_kb, gzip_kb, _, verdict, _, _ = row
    assert verdict == "BLESSED", row
    assert float(accuracy) > 0.95, row
  size = lambda v: float(rows[v][3])
  gzip = lambda v: float(rows[v][4])
  assert size("ptq_int8") * 2.5 < size("none")
  # Pruning (80 % of the big layers) shows after compression.
  assert gzip("pruned_tflite") < 0.5 * gzip("none")
  assert gzip("pruned_qat") < gzip("ptq_int8")
  assert evaluator_spec.REPORT_HTML_FILE in out
  # One winner, the smallest blessed candidate (the demo's objective), is
  # marked in the table and is the only model pushed.
  outputs = lambda node: results.latest_outputs(
      trained_pipeline.metadata_path, cli.PIPELINE_NAME, node)
  selector = outputs("CandidateSelector")
  comparison = json.load(open(os.path.join(
      selector["comparison"][0].uri, "comparison.json")))
  blessed_gzip = {c["variant"]: c["figures"]["gzip_size_bytes"]
                  for c in comparison["candidates"] if c["eligible"]}
  assert set(blessed_gzip) == set(VARIANTS)
  winner = min(blessed_gzip, key=blessed_gzip.get)
  assert comparison["objective"] == "smallest"
  assert comparison["selected"] == winner
  assert [v for v, row in rows.items() if row[7] == "winner"] == [winner]
  assert [v for v, row in rows.items() if row[8] == "yes"] == [winner]
  assert f"Selected:      {winner} (" in out
  html = os.path.join(selector["comparison"][0].uri, "comparison.html")
  assert f"Comparison:    {html}" in out
  (version,) = set(os.listdir(serving)) - before  # exactly one model pushed
  (pushed,) = outputs("Pusher.selected")["pushed_model"]
  assert pushed.get_int_custom_property("pushed") == 1
  assert f"Pushed:        {os.path.join(serving, version)}" in out
  winner_uri = comparison["selected_model_uri"]
  assert open(os.path.join(serving, version, "tflite"), "rb").read() == open(
      os.path.join(winner_uri, "Format-Serving", "tflite"), "rb").read()
  # The session fixture already ran ExampleGen and Trainer: the demo reused
  # them from the cache instead of training again.
  trainer = outputs("Trainer")
  assert trainer["model"][0].uri == trained_pipeline.model.uri


def test_demo_rejects_nonpositive_epochs(capsys):
  with pytest.raises(SystemExit) as e:
    cli.main(["demo", "--epochs", "0"])
  assert e.value.code == cli.EXIT_BAD_INPUT
  assert "--epochs must be a positive integer; got '0'" in capsys.readouterr().err
