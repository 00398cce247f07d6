"""Fine-tuning under tf.distribute: options, chief election, a mirrored run."""

import json
import os
import subprocess
import sys

import pytest

from tfx_compression.errors import CompressionConfigError
from tfx_compression.fine_tuning.config import FineTuning
from tfx_compression.lib.training import distribution
from tfx_compression.pruner.config import ChannelPruning, PrunerConfig
from tfx_compression.quantization_aware_trainer.config import QatConfig

HERE = os.path.dirname(os.path.abspath(__file__))


def test_distribution_is_a_named_choice_and_single_device_steps_refuse_it():
  assert FineTuning(distribution="mirrored").distribution.value == "mirrored"
  with pytest.raises(CompressionConfigError,
                     match="fine_tuning.distribution must be one of 'none', "
                     "'mirrored', 'multi_worker_mirrored'; got 'tpu'"):
    FineTuning(distribution="tpu")
  with pytest.raises(CompressionConfigError, match="QuantizationAwareTrainer"):
    QatConfig(fine_tuning=FineTuning(distribution="mirrored"))
  with pytest.raises(CompressionConfigError, match="granularity 'channel'"):
    PrunerConfig(granularity="channel", schedule=None,
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


def test_mirrored_pruning_on_two_devices_exports_the_same_structure(tmp_path):
  """A process with 2 logical CPU devices (set before TensorFlow starts)."""
  sys.path.insert(0, HERE)
  try:
    import distributed_prune  # pylint: disable=g-import-not-at-top
  finally:
    sys.path.remove(HERE)
  run = subprocess.run(
      [sys.executable, os.path.join(HERE, "distributed_prune.py"), "mirrored",
       str(tmp_path)], capture_output=True, text=True, timeout=600,
      check=False)
  assert run.returncode == 0, run.stderr[-3000:]
  seen = json.loads(run.stdout.strip().splitlines()[-1])
  assert seen["replicas"] == 2
  plain = distributed_prune.build()
  assert seen["layers"] == [l.name for l in plain.layers]
  assert seen["weights"] == [list(w.shape) for w in plain.get_weights()]
  assert min(seen["sparsity"]) > 0.4  # pruned on both replicas
