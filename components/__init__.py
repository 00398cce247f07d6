"""tfx-compression: TFX components that compress a trained TensorFlow model.

Importing this package is cheap: component classes load on first use, so that
configuration objects and keys can be used without importing TFX or TensorFlow.
"""

import importlib
import os

# tfmot supports Keras 2 only: make `tf.keras` resolve to tf_keras before
# TensorFlow is imported anywhere in this process.
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

_LAZY = {
    "LiteConverter": "tfx_compression.lite_converter.component",
    "LiteConverterConfig": "tfx_compression.lite_converter.config",
    "Optimization": "tfx_compression.lib.options.conversion",
    "OpSet": "tfx_compression.lib.options.conversion",
    "PostTrainingQuantizer": "tfx_compression.post_training_quantizer.component",
    "PostTrainingQuantizerConfig":
        "tfx_compression.post_training_quantizer.config",
    "QuantizationMode": "tfx_compression.lib.options.quantization",
    "IoType": "tfx_compression.lib.options.quantization",
    "SamplingStrategy": "tfx_compression.lib.options.quantization",
    "Pruner": "tfx_compression.pruner.component",
    "QuantizationAwareTrainer":
        "tfx_compression.quantization_aware_trainer.component",
    "QatConfig": "tfx_compression.quantization_aware_trainer.config",
    "QatScheme": "tfx_compression.quantization_aware_trainer.config",
    "PrunerConfig": "tfx_compression.pruner.config",
    "PolynomialDecay": "tfx_compression.pruner.config",
    "ConstantSparsity": "tfx_compression.pruner.config",
    "Granularity": "tfx_compression.pruner.config",
    "ChannelPruning": "tfx_compression.pruner.channel_config",
    "AutoRatios": "tfx_compression.pruner.channel_config",
    "LayerSelection": "tfx_compression.fine_tuning.config",
    "FineTuning": "tfx_compression.fine_tuning.config",
    "WeightClusterer": "tfx_compression.weight_clusterer.component",
    "WeightClustererConfig": "tfx_compression.weight_clusterer.config",
    "CentroidInit": "tfx_compression.lib.options.clustering",
    "CoreMLConverter": "tfx_compression.coreml_converter.component",
    "CoreMLConverterConfig": "tfx_compression.coreml_converter.config",
    "MicroExporter": "tfx_compression.micro_exporter.component",
    "MicroExporterConfig": "tfx_compression.micro_exporter.config",
    "CompressionEvaluator": "tfx_compression.compression_evaluator.component",
    "CompressionEvaluatorConfig": "tfx_compression.compression_evaluator.config",
    "MetricThreshold": "tfx_compression.compression_evaluator.config",
    "Budgets": "tfx_compression.compression_evaluator.config",
    "Benchmark": "tfx_compression.compression_evaluator.config",
    "Direction": "tfx_compression.compression_evaluator.config",
    "CandidateSelector": "tfx_compression.candidate_selector.component",
    "CandidateSelectorConfig": "tfx_compression.candidate_selector.config",
    "Objective": "tfx_compression.candidate_selector.config",
    "CandidateComparison": "tfx_compression.candidate_selector.spec",
}

__all__ = sorted(_LAZY)
__version__ = "0.1.0"


def __getattr__(name):
  if name in _LAZY:
    return getattr(importlib.import_module(_LAZY[name]), name)
  raise AttributeError(f"module 'tfx_compression' has no attribute {name!r}")
