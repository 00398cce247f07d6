"""The one config contract: every component config round-trips through one
versioned JSON exec property, and a newer version is refused by name."""

import json

import pytest

from tfx_compression.framework import config_utils
from tfx_compression.candidate_selector.config import CandidateSelectorConfig
from tfx_compression.compression_evaluator.config import Budgets
from tfx_compression.compression_evaluator.config import CompressionEvaluatorConfig
from tfx_compression.compression_evaluator.config import MetricThreshold
from tfx_compression.coreml_converter.config import CoreMLConverterConfig
from tfx_compression.errors import CompressionConfigError
from tfx_compression.fine_tuning.config import FineTuning
from tfx_compression.fine_tuning.config import LayerSelection
from tfx_compression.lite_converter.config import LiteConverterConfig
from tfx_compression.micro_exporter.config import MicroExporterConfig
from tfx_compression.post_training_quantizer.config import PostTrainingQuantizerConfig
from tfx_compression.pruner.channel_config import ChannelPruning
from tfx_compression.pruner.config import ConstantSparsity
from tfx_compression.pruner.config import PrunerConfig
from tfx_compression.quantization_aware_trainer.config import QatConfig
from tfx_compression.weight_clusterer.config import WeightClustererConfig

CONFIGS = [
    LiteConverterConfig(optimization="float16", inputs="model",
                        num_validation_examples=7),
    PostTrainingQuantizerConfig(io_type="int8", calibration_splits=("a", "b"),
                                float_ops=("CONV_2D",), sampling="per_class",
                                label_key="label"),
    PrunerConfig(schedule=ConstantSparsity(0.6, frequency=5),
                 selection=LayerSelection(exclude_names=("dense",)),
                 fine_tuning=FineTuning(epochs=3, label_key="y"),
                 model_fn="build", module_file="/m.py"),
    PrunerConfig(granularity="channel", channels=ChannelPruning(ratio=0.3)),
    QatConfig(scheme="prune_preserve", io_type="int8", inputs="model",
              trust_model_code=True),
    CompressionEvaluatorConfig(
        metrics=(MetricThreshold(max_drop=0.01, max_slice_drop=0.05),),
        slices=(("label",),), budgets=Budgets(max_size_bytes=100)),
    CompressionEvaluatorConfig(eval_config={"metricsSpecs": [{"metrics": [
        {"className": "AUC"}]}]}),
    MicroExporterConfig(array_name="kws", arena_margin=0.1,
                        arena_overhead_bytes=0),
    WeightClustererConfig(number_of_clusters=32, centroid_init="density_based",
                          selection=LayerSelection(keep_first_and_last=True),
                          fine_tuning=FineTuning(epochs=1, alpha=1.0)),
    CoreMLConverterConfig(precision="float32", weight_quantization="int8"),
    CandidateSelectorConfig(objective="weights", variants=("none", "ptq_int8"),
                            weights={"metric_auc": 1.0,
                                     "latency_median_us": -0.2}),
]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: type(c).__name__)
def test_every_config_round_trips_through_one_versioned_property(config):
  text = config.to_json()
  assert json.loads(text)[config_utils.SCHEMA_VERSION_KEY] == (
      config_utils.SCHEMA_VERSION)
  assert type(config).from_json(text) == config
  assert type(config).from_dict(config.to_dict()) == config


@pytest.mark.parametrize("config, key", [
    (CONFIGS[0], "lite_converter_config"), (CONFIGS[1], "quantizer_config"),
    (CONFIGS[-1], "candidate_selector_config")],
                         ids=["LiteConverterConfig", "PostTrainingQuantizerConfig",
                              "CandidateSelectorConfig"])
def test_converting_components_pass_one_exec_property(config, key):
  props = config.to_exec_properties()
  assert list(props) == [key]
  assert type(config).from_exec_properties(props) == config


def test_a_config_from_a_newer_version_is_refused_by_name():
  text = json.dumps(dict(QatConfig().to_dict(), schema_version=2))
  with pytest.raises(CompressionConfigError,
                     match=r"QAT config has schema version 2, written by a "
                     r"newer tfx-compression; this one reads up to version 1"):
    QatConfig.from_json(text)


def test_pipelines_compiled_with_flat_properties_still_run():
  legacy = {"optimization": "dynamic_range", "op_set": "builtins",
            "num_validation_examples": 50, "validation_split": "eval",
            "min_argmax_agreement": 0.9}
  assert LiteConverterConfig.from_exec_properties(legacy) == (
      LiteConverterConfig(optimization="dynamic_range", op_set="builtins",
                          num_validation_examples=50))
  assert PostTrainingQuantizerConfig.from_exec_properties(
      {"mode": "int8", "calibration_splits": '["train", "extra"]'}
  ).calibration_splits == ("train", "extra")


def _enum_types(config_class, seen=None):
  """Every enum type a config dataclass (and its nested configs) declares."""
  import dataclasses  # pylint: disable=g-import-not-at-top
  import enum  # pylint: disable=g-import-not-at-top
  import typing  # pylint: disable=g-import-not-at-top
  seen = set() if seen is None else seen
  hints = typing.get_type_hints(config_class)
  for f in dataclasses.fields(config_class):
    for t in (hints[f.name], *typing.get_args(hints[f.name])):
      if isinstance(t, type) and issubclass(t, enum.Enum):
        seen.add(t)
      elif dataclasses.is_dataclass(t) and t not in seen:
        seen.add(t)
        _enum_types(t, seen)
  return {t for t in seen if not dataclasses.is_dataclass(t)}


def test_closed_sets_are_str_enums_with_lowercase_values():
  enums = set().union(*(_enum_types(type(c)) for c in CONFIGS))
  assert len(enums) >= 15, sorted(e.__name__ for e in enums)
  for e in enums:
    assert issubclass(e, str), e
    assert all(m.value == m.value.lower() for m in e), list(e)


def test_block_pooling_written_uppercase_before_still_reads():
  from tfx_compression.pruner.config import BlockPooling  # pylint: disable=g-import-not-at-top
  legacy = json.loads(PrunerConfig(granularity="block",
                                   block_size=(1, 4)).to_json())
  legacy["block_pooling"] = "MAX"
  config = PrunerConfig.from_json(json.dumps(legacy))
  assert config.block_pooling is BlockPooling.MAX
  assert config.block_pooling.tfmot_name == "MAX"
  with pytest.raises(CompressionConfigError,
                     match=r"block_pooling must be one of 'avg', 'max'; "
                           r"got 'Max'"):
    PrunerConfig(granularity="block", block_size=(1, 4), block_pooling="Max")


@pytest.mark.parametrize("module,names", [
    ("tfx_compression.pruner.config",
     ("PrunerConfig", "FineTuning", "LayerSelection", "PolynomialDecay",
      "ConstantSparsity", "Granularity", "BlockPooling", "CONFIG_KEY")),
    ("tfx_compression.quantization_aware_trainer.config",
     ("QatConfig", "QatScheme", "FineTuning", "LayerSelection", "CONFIG_KEY")),
    ("tfx_compression.weight_clusterer.config",
     ("WeightClustererConfig", "FineTuning", "LayerSelection", "CONFIG_KEY")),
    ("tfx_compression.pruner.spec", ("CONFIG_KEY",)),
    ("tfx_compression.quantization_aware_trainer.spec", ("CONFIG_KEY",)),
    ("tfx_compression.compression_evaluator.spec", ("CONFIG_KEY",)),
])
def test_public_names_of_before_the_refactor_still_import(module, names):
  import importlib  # pylint: disable=g-import-not-at-top
  loaded = importlib.import_module(module)
  assert [n for n in names if not hasattr(loaded, n)] == []
