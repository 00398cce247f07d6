"""Fine-tuning under tf.distribute: options, chief election, a mirrored run."""

import json
import os
import socket
import subprocess
import sys

import pytest

from tfx_compression.errors import CompressionConfigError
from tfx_compression.fine_tuning.config import FineTuning
from tfx_compression.lib.training import distribution
from tfx_compression.pruner.config import ChannelPruning, PrunerConfig
from tfx_compression.quantization_aware_trainer.config import QatConfig

HERE = os.path.dirname(os.path.abspath(__file__))


def test_distribution_is_a_named_choice():
  assert FineTuning(distribution="mirrored").distribution.value == "mirrored"
  with pytest.raises(CompressionConfigError,
                     match="fine_tuning.distribution must be one of 'none', "
                     "'mirrored', 'multi_worker_mirrored'; got 'tpu'"):
    FineTuning(distribution="tpu")
  # Every fine-tuning component takes it, channel pruning and QAT included.
  assert QatConfig(fine_tuning=FineTuning(distribution="mirrored"))
  assert PrunerConfig(granularity="channel", schedule=None,
                      channels=ChannelPruning(ratio=0.5),
                      fine_tuning=FineTuning(distribution="mirrored"))


def test_the_chief_writes_the_outputs():
  cluster = {"worker": ["a:1", "b:2"]}
  assert distribution.is_chief("")
  assert distribution.is_chief(json.dumps(
      {"cluster": cluster, "task": {"type": "worker", "index": 0}}))
  assert not distribution.is_chief(json.dumps(
      {"cluster": cluster, "task": {"type": "worker", "index": 1}}))
  assert not distribution.is_chief(json.dumps(
      {"cluster": dict(cluster, chief=["c:3"]),
       "task": {"type": "worker", "index": 0}}))


def test_multi_worker_without_tf_config_names_what_to_do(monkeypatch):
  monkeypatch.delenv("TF_CONFIG", raising=False)
  with pytest.raises(CompressionConfigError, match="TF_CONFIG"):
    distribution.strategy_for("multi_worker_mirrored")


def _script():
  sys.path.insert(0, HERE)
  try:
    import distributed_fine_tune  # pylint: disable=g-import-not-at-top
  finally:
    sys.path.remove(HERE)
  return distributed_fine_tune


def _check_exports(seen, script) -> None:
  """Each exported model is structured as the plain model it came from."""
  plain = script.build()
  names = [l.name for l in plain.layers]
  shapes = [list(w.shape) for w in plain.get_weights()]
  prune, qat = seen["prune"], seen["qat"]
  assert prune["layers"] == names and prune["weights"] == shapes
  assert min(prune["sparsity"]) > 0.4  # pruned on every replica
  if "channel" in seen:  # halved the hidden layer; the layers are the same
    assert seen["channel"]["layers"] == names
    assert seen["channel"]["weights"] == [[64, 8], [8], [8, 2], [2]]
  # QAT: the input's layers plus the quantize layer, its kernels, and an
  # int8 TFLite model that computes what the exported Keras model computes.
  assert [n for n in qat["layers"] if not n.startswith("quantize_layer")
          ] == names
  assert [s for s in qat["weights"] if s] == shapes
  assert qat["tflite_max_abs_diff"] < 0.05
  # The preserving schemes keep, through the strategy and the rebuild, what
  # the input had: its zeros (pqat), its 4 values per kernel (cqat).
  if "pqat" in seen:
    pqat, cqat = seen["pqat"], seen["cqat"]
    assert (pqat["scheme"], cqat["scheme"]) == ("prune_preserve",
                                                "cluster_preserve")
    for summary in (pqat, cqat):
      assert [n for n in summary["layers"]
              if not n.startswith("quantize_layer")] == names
      assert summary["tflite_max_abs_diff"] < 0.05
    assert pqat["tflite_sparsity"] and min(
        pqat["tflite_sparsity"].values()) >= script.SPARSITY - 0.05
    assert max(qat["tflite_unique_values"].values()) > script.CLUSTERS
    assert len(cqat["tflite_unique_values"]) == 2 and max(
        cqat["tflite_unique_values"].values()) <= script.CLUSTERS


def test_mirrored_fine_tuning_on_two_devices_exports_the_same_structure(
    tmp_path):
  """Prune, channel-prune and QAT (default, prune- and cluster-preserving)
  in a process with 2 logical CPU devices."""
  script = _script()
  run = subprocess.run(
      [sys.executable, script.__file__, "mirrored", str(tmp_path)],
      capture_output=True, text=True, timeout=600, check=False)
  assert run.returncode == 0, run.stderr[-3000:]
  seen = json.loads(run.stdout.strip().splitlines()[-1])
  assert all(seen[kind]["replicas"] == 2 for kind in script.KINDS)
  _check_exports(seen, script)


def _free_port() -> int:
  with socket.socket() as s:
    s.bind(("localhost", 0))
    return s.getsockname()[1]


@pytest.mark.e2e
def test_multi_worker_fine_tuning_with_two_local_workers(tmp_path):
  """Two worker processes from TF_CONFIG, as a Vertex / KFP job sets it:
  magnitude pruning and QAT (the mirrored test covers channel pruning)."""
  script = _script()
  kinds = ("prune", "qat")
  cluster = {"worker": [f"localhost:{_free_port()}" for _ in range(2)]}
  procs = []
  for index in range(2):
    env = dict(os.environ, TF_CONFIG=json.dumps(
        {"cluster": cluster, "task": {"type": "worker", "index": index}}))
    procs.append(subprocess.Popen(
        [sys.executable, script.__file__, "multi_worker_mirrored",
         str(tmp_path / f"worker{index}"), *kinds], env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True))
  outs = [p.communicate(timeout=600) for p in procs]
  for proc, (_, err) in zip(procs, outs):
    assert proc.returncode == 0, err[-3000:]
  chief, other = (json.loads(out.strip().splitlines()[-1]) for out, _ in outs)
  assert chief["chief"] and not other["chief"]
  for kind in kinds:
    assert chief[kind]["replicas"] == other[kind]["replicas"] == 2
    # Both workers ran the same synchronous steps: the same model.
    assert chief[kind]["accuracy"] == other[kind]["accuracy"]
    assert "layers" not in other[kind]  # only the chief writes
  _check_exports(chief, script)
  assert not (tmp_path / "worker1" / "prune").exists()
