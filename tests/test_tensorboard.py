"""TensorBoard opens a fine-tuning component's logs from the project's venv."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import executor_harness as harness
from tfx_compression.fine_tuning.config import FineTuning
from tfx_compression.pruner.config import PolynomialDecay
from tfx_compression.pruner.config import PrunerConfig


def _free_port() -> int:
  with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    return s.getsockname()[1]


def _get(url: str):
  with urllib.request.urlopen(url, timeout=5) as response:
    return json.loads(response.read())


def test_tensorboard_serves_the_pruner_scalars(trained_pipeline, tmp_path):
  outputs = harness.run(
      "Pruner", {"model": trained_pipeline.model,
                 "examples": trained_pipeline.examples}, str(tmp_path),
      PrunerConfig(schedule=PolynomialDecay(0.2, 0.5, frequency=5),
                   fine_tuning=FineTuning(epochs=1)))
  logdir = outputs["model_run"].uri
  port = _free_port()
  tensorboard = os.path.join(os.path.dirname(sys.executable), "tensorboard")
  server = subprocess.Popen(
      [tensorboard, "--logdir", logdir, "--host", "127.0.0.1", "--port",
       str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
  try:
    deadline, tags = time.monotonic() + 90, {}
    while time.monotonic() < deadline and server.poll() is None:
      try:
        tags = _get(f"http://127.0.0.1:{port}/data/plugin/scalars/tags")
        if tags:
          break
      except OSError:
        pass
      time.sleep(1)
    assert server.poll() is None, server.stdout.read().decode()[-2000:]
  finally:
    server.terminate()
    server.wait(30)
  scalars = {tag for run in tags.values() for tag in run}
  assert "epoch_loss" in scalars, tags
  # Validation metrics per epoch, on the eval split, in their own run.
  assert any(run.endswith("validation") and "epoch_loss" in run_tags
             for run, run_tags in tags.items()), tags
