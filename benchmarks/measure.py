"""Measures TFLite variants side by side: accuracy, size, latency, memory.

Latency is measured round-robin (every variant once per round, several
rounds) so that machine load drifting during the run hits every variant
alike; a variant's figure is the median over rounds of each round's median
(and p90). Ratios are taken against the float TFLite model of the same run.
"""

import json
import os
import statistics
import tempfile
from typing import Dict, List, Mapping, Sequence


def accuracy_and_size(variants: Mapping[str, bytes], inputs, labels
                      ) -> Dict[str, dict]:
  """Eval accuracy (TFLite interpreter), raw and gzip size, int8 sparsity."""
  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.quantization import qat
  from tfx_compression.lib.tflite import inspection
  from tfx_compression.lib.tflite.inference import accuracy as tflite_accuracy
  rows = {}
  for name, data in variants.items():
    rows[name] = {
        "accuracy": tflite_accuracy(data, inputs, labels),
        "size_bytes": len(data),
        "gzip_bytes": inspection.compressed_size(data),
        "int8_kernel_sparsity": qat.int8_kernel_sparsity(data),
    }
  return rows


def latency(variants: Mapping[str, bytes], threads: Sequence[int],
            runs: int, rounds: int) -> Dict[str, Dict[int, dict]]:
  """{variant: {threads: {median_us, p90_us, runs}}}, batch 1, XNNPACK."""
  from tfx_compression.lib.tflite import benchmark  # pylint: disable=g-import-not-at-top
  samples: Dict[str, Dict[int, List]] = {v: {t: [] for t in threads}
                                         for v in variants}
  for _ in range(rounds):
    for t in threads:
      for name, data in variants.items():
        samples[name][t].append(benchmark.measure_latency(
            data, num_threads=t, batch_size=1, warmup_runs=max(5, runs // 10),
            runs=runs))
  return {name: {t: {"median_us": statistics.median(l.median_us for l in ls),
                     "p90_us": statistics.median(l.p90_us for l in ls),
                     "runs": runs * rounds}
                 for t, ls in per_thread.items()}
          for name, per_thread in samples.items()}


def peak_memory(variants: Mapping[str, bytes]) -> Dict[str, dict]:
  """Peak RSS of a child process loading and running each model (1 thread).

  `model_bytes` subtracts the same child running a one-op model: what the
  model itself costs beyond the interpreter runtime.
  """
  from tfx_compression.lib.tflite import benchmark  # pylint: disable=g-import-not-at-top
  runtime = benchmark.measure_runtime_memory().increase_bytes
  rows = {}
  with tempfile.TemporaryDirectory() as tmp:
    for name, data in variants.items():
      path = os.path.join(tmp, "model.tflite")
      with open(path, "wb") as f:
        f.write(data)
      memory = benchmark.measure_peak_memory(path)
      rows[name] = {"peak_bytes": memory.peak_bytes,
                    "increase_bytes": memory.increase_bytes,
                    "model_bytes": max(0, memory.increase_bytes - runtime)}
  return rows


def write_results(out_dir: str, name: str, markdown: str, data=None) -> str:
  """Writes `<name>.md` (and `<name>.json` of `data`) into `out_dir`.

  Returns the Markdown path.
  """
  os.makedirs(out_dir, exist_ok=True)
  if data is not None:
    with open(os.path.join(out_dir, f"{name}.json"), "w") as f:
      json.dump(data, f, indent=2)
  path = os.path.join(out_dir, f"{name}.md")
  with open(path, "w") as f:
    f.write(markdown if markdown.endswith("\n") else markdown + "\n")
  return path
