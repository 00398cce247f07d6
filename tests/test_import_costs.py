"""Building components and pipelines must not import tfmot or TFMA."""

import json
import os
import subprocess
import sys

_HEAVY = ["tensorflow", "tensorflow_model_optimization",
          "tensorflow_model_analysis", "apache_beam", "matplotlib",
          "coremltools"]
_PROBE = f"""
import json, sys, time
heavy = lambda: sorted(m for m in {_HEAVY!r} if m in sys.modules)
report, t = {{}}, time.monotonic()
import tfx_compression
report["package"] = (time.monotonic() - t, heavy())
t = time.monotonic()
from tfx.types import channel_utils, standard_artifacts
from tfx_compression import LiteConverter, LiteConverterConfig
LiteConverter(model=channel_utils.as_channel([standard_artifacts.Model()]),
              config=LiteConverterConfig(optimization="dynamic_range"))
from tfx_compression import MicroExporter
MicroExporter(model=channel_utils.as_channel([standard_artifacts.Model()]))
from tfx_compression import CoreMLConverter
CoreMLConverter(model=channel_utils.as_channel([standard_artifacts.Model()]))
from tfx_compression import WeightClusterer
WeightClusterer(examples=channel_utils.as_channel([standard_artifacts.Examples()]),
                model=channel_utils.as_channel([standard_artifacts.Model()]))
report["components"] = (time.monotonic() - t, heavy())
t = time.monotonic()
from tfx_compression.pipelines import cli, pipeline
p = pipeline.create_pipeline("p", "/tmp/root", "/tmp/data", None,
                             plan=cli.demo_plan(push_destination="/tmp/push"))
report["pipeline"] = (time.monotonic() - t, heavy())
t = time.monotonic()
import tempfile, os
out = tempfile.mkdtemp()
for target in ("kfp", "vertex"):
  assert cli.main(["compile-kubeflow", "--target", target,
                   "--data", "gs://b/data", "--pipeline-root", "gs://b/root",
                   "--run-fn", "tfx_compression.pipelines.digits_trainer.run_fn",
                   "--image", "registry.example/tfx-compression:1",
                   "--output", os.path.join(out, "p." + ("yaml" if target == "kfp" else "json"))]) == 0
report["kubeflow_compile"] = (time.monotonic() - t, heavy())
import tensorflow as tf
report["tf.keras"] = (0.0, tf.keras.__name__)
print(json.dumps(report))
"""


def test_package_components_and_pipeline_import_no_tfmot():
  # The package itself must select Keras 2, not the caller's environment.
  env = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}
  out = subprocess.run([sys.executable, "-c", _PROBE], check=True,
                       capture_output=True, text=True, env=env)
  report = json.loads(out.stdout.strip().splitlines()[-1])
  print({k: f"{s:.2f} s" for k, (s, _) in report.items()})
  assert report.pop("tf.keras")[1].startswith("tf_keras")
  # The package itself imports nothing heavy (component classes load lazily).
  assert report["package"][1] == []
  # Our components need TFX (which imports TensorFlow), never tfmot or TFMA.
  assert report["components"][1] == ["tensorflow"]
  # TFX's own ImportExampleGen, Trainer and Pusher import TFMA (through
  # tfx.types.standard_component_specs); our pipeline code, every component
  # of ours included, and `compile-kubeflow` (both targets) add no tfmot.
  assert "tensorflow_model_optimization" not in report["pipeline"][1]
  assert "tensorflow_model_optimization" not in report["kubeflow_compile"][1]
  # matplotlib (our reports' plots) is in `_HEAVY`: our components load it
  # only when a report is drawn (checked with "components" above); the
  # pipeline step has it from TFMA, which TFX's own components import.
  # Nor coremltools (only the CoreMLConverter's executor imports it).
  assert "coremltools" not in report["pipeline"][1]
  assert "coremltools" not in report["kubeflow_compile"][1]
