"""Runs the compression components' executors on real artifacts and times them.

Each call publishes into `<workdir>/<name>/` exactly what the component would
publish in a pipeline, and returns the TFLite bytes and the executor's wall
time.
"""

import dataclasses
import json
import os
import time
from typing import Any, Optional

import bench_pipeline


@dataclasses.dataclass
class Output:
  name: str
  model: Any  # the published Model artifact
  seconds: float  # executor wall time
  tflite: Optional[bytes] = None  # None for Keras outputs (the Pruner's)
  report: Optional[dict] = None


class Runner:
  """Calls executors on `examples`, writing under `workdir`."""

  def __init__(self, examples, workdir: str):
    self.examples = examples
    self.workdir = workdir

  def _out(self, name, *kinds):
    base = os.path.join(self.workdir, name)
    return [bench_pipeline.artifact(kind, os.path.join(base, key))
            for key, kind in kinds]

  def _finish(self, name, model, start, tflite=True) -> Output:
    from tfx_compression.framework import artifact_io  # pylint: disable=g-import-not-at-top
    seconds = time.perf_counter() - start
    print(f"  {name}: {seconds:.1f} s", flush=True)
    report_path = os.path.join(model.uri, "report.json")
    report = json.load(open(report_path)) if os.path.exists(report_path) else None
    data = (artifact_io.read_bytes(artifact_io.tflite_path(model.uri))
            if tflite else None)
    return Output(name, model, seconds, data, report)

  def lite(self, name, source, config) -> Output:
    from tfx_compression.lite_converter import executor  # pylint: disable=g-import-not-at-top
    (out,) = self._out(name, ("model", "Model"))
    start = time.perf_counter()
    executor.Executor().Do({"model": [source], "examples": [self.examples]},
                           {"tflite_model": [out]}, config.to_exec_properties())
    return self._finish(name, out, start)

  def ptq(self, name, source, config) -> Output:
    from tfx_compression.post_training_quantizer import executor  # pylint: disable=g-import-not-at-top
    out, sample = self._out(name, ("model", "Model"), ("sample", "Examples"))
    start = time.perf_counter()
    executor.Executor().Do({"model": [source], "examples": [self.examples]},
                           {"quantized_model": [out],
                            "calibration_examples": [sample]},
                           config.to_exec_properties())
    return self._finish(name, out, start)

  def prune(self, name, source, config) -> Output:
    from tfx_compression.pruner import executor  # pylint: disable=g-import-not-at-top
    out, run = self._out(name, ("model", "Model"), ("run", "ModelRun"))
    start = time.perf_counter()
    executor.Executor().Do({"model": [source], "examples": [self.examples]},
                           {"pruned_model": [out], "model_run": [run]},
                           {"pruner_config": config.to_json()})
    return self._finish(name, out, start, tflite=False)

  def qat(self, name, source, config) -> Output:
    from tfx_compression.quantization_aware_trainer import executor  # pylint: disable=g-import-not-at-top
    out, run = self._out(name, ("model", "Model"), ("run", "ModelRun"))
    start = time.perf_counter()
    executor.Executor().Do({"model": [source], "examples": [self.examples]},
                           {"qat_model": [out], "model_run": [run]},
                           {"qat_config": config.to_json()})
    return self._finish(name, out, start)
