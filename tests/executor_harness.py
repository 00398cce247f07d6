"""Runs a component's executor on artifacts, its outputs built from its spec.

One harness for every executor test: the output artifacts come from the
component's ComponentSpec (keys and types), placed under `out_dir/<key>`,
and the exec properties from the config object, as TFX would pass them.
"""

import json
import os
from typing import Dict

from tfx_compression.candidate_selector import executor as selector_executor
from tfx_compression.candidate_selector import spec as selector_spec
from tfx_compression.compression_evaluator import executor as evaluator_executor
from tfx_compression.compression_evaluator import spec as evaluator_spec
from tfx_compression.coreml_converter import executor as coreml_executor
from tfx_compression.coreml_converter import spec as coreml_spec
from tfx_compression.lite_converter import executor as lite_executor
from tfx_compression.lite_converter import spec as lite_spec
from tfx_compression.micro_exporter import executor as micro_executor
from tfx_compression.micro_exporter import spec as micro_spec
from tfx_compression.post_training_quantizer import executor as ptq_executor
from tfx_compression.post_training_quantizer import spec as ptq_spec
from tfx_compression.pruner import executor as pruner_executor
from tfx_compression.pruner import spec as pruner_spec
from tfx_compression.quantization_aware_trainer import executor as qat_executor
from tfx_compression.quantization_aware_trainer import spec as qat_spec
from tfx_compression.weight_clusterer import executor as clusterer_executor
from tfx_compression.weight_clusterer import spec as clusterer_spec

_COMPONENTS = {
    "LiteConverter": (lite_executor.Executor, lite_spec.LiteConverterSpec),
    "PostTrainingQuantizer": (ptq_executor.Executor,
                              ptq_spec.PostTrainingQuantizerSpec),
    "Pruner": (pruner_executor.Executor, pruner_spec.PrunerSpec),
    "QuantizationAwareTrainer": (qat_executor.Executor,
                                 qat_spec.QuantizationAwareTrainerSpec),
    "CompressionEvaluator": (evaluator_executor.Executor,
                             evaluator_spec.CompressionEvaluatorSpec),
    "MicroExporter": (micro_executor.Executor, micro_spec.MicroExporterSpec),
    "CoreMLConverter": (coreml_executor.Executor,
                        coreml_spec.CoreMLConverterSpec),
    "WeightClusterer": (clusterer_executor.Executor,
                        clusterer_spec.WeightClustererSpec),
    "CandidateSelector": (selector_executor.Executor,
                          selector_spec.CandidateSelectorSpec),
}


def run(component: str, inputs: Dict[str, object], out_dir: str, config,
        context=None):
  """Runs `component`'s executor; returns {output key: artifact}.

  Args:
    inputs: Input key -> artifact (None or absent: not given).
    out_dir: Parent of the output artifacts' uris.
    config: The component's config object.
    context: The executor's `BaseExecutor.Context` (None: none).
  """
  executor_class, spec_class = _COMPONENTS[component]
  outputs = {}
  for key, channel in spec_class.OUTPUTS.items():
    artifact = channel.type()
    artifact.uri = os.path.join(out_dir, key)
    outputs[key] = artifact
  for i, artifact in enumerate(a for a in inputs.values() if a is not None):
    if not artifact.id:
      artifact.id = 1000 + i
  executor_class(context).Do(
      {k: [v] for k, v in inputs.items() if v is not None},
      {k: [v] for k, v in outputs.items()},
      config.to_exec_properties())
  return outputs


def published(outputs) -> Dict[str, list]:
  """The files left in each output (empty lists: nothing published)."""
  return {k: sorted(os.listdir(a.uri)) if os.path.isdir(a.uri) else []
          for k, a in outputs.items()}


def report(artifact) -> dict:
  """The report.json the executor wrote into `artifact` (fails if none)."""
  path = os.path.join(artifact.uri, "report.json")
  assert os.path.isfile(path), f"no report.json in {artifact.uri}"
  return json.load(open(path))


def nothing_published(out_dir: str) -> bool:
  """Whether every output directory under `out_dir` is absent or empty."""
  if not os.path.isdir(out_dir):
    return True
  return all(not os.listdir(os.path.join(out_dir, d))
             for d in os.listdir(out_dir)
             if os.path.isdir(os.path.join(out_dir, d)))
