"""The Pruner's channel granularity on the session's real Trainer output."""

import json
import os

import numpy as np
import pytest

import executor_harness
import serving_checks
from tfx_compression.framework import spec_channels
from tfx_compression.framework import artifact_io
from tfx_compression.framework import properties
from tfx_compression.errors import CompressionConfigError
from tfx_compression.fine_tuning import spec as tuning_spec
from tfx_compression.fine_tuning.config import FineTuning
from tfx_compression.fine_tuning.config import LayerSelection
from tfx_compression.lite_converter import spec as lite_spec
from tfx_compression.lite_converter.config import LiteConverterConfig
from tfx_compression.post_training_quantizer import spec as ptq_spec
from tfx_compression.post_training_quantizer.config import PostTrainingQuantizerConfig
from tfx_compression.pruner import spec
from tfx_compression.pruner.channel_config import AutoRatios
from tfx_compression.pruner.channel_config import ChannelPruning
from tfx_compression.pruner.config import PolynomialDecay
from tfx_compression.pruner.config import PrunerConfig

TUNING = FineTuning(epochs=2)


def _run(trained_pipeline, out_dir, config):
  """(pruned model, model run) of the Pruner on the session's model."""
  outputs = executor_harness.run(
      "Pruner", {spec_channels.EXAMPLES_KEY: trained_pipeline.examples,
                 spec_channels.MODEL_KEY: trained_pipeline.model}, out_dir, config)
  return outputs[spec.PRUNED_MODEL_KEY], outputs[tuning_spec.MODEL_RUN_KEY]


@pytest.fixture(scope="module")
def halved(trained_pipeline, tmp_path_factory):
  """Half the channels of every prunable layer removed, 2 epochs fine-tuning."""
  return _run(trained_pipeline, str(tmp_path_factory.mktemp("halved")),
              PrunerConfig(granularity="channel",
                           channels=ChannelPruning(ratio=0.5, latency_runs=20),
                           fine_tuning=TUNING))


def test_channel_pruning_shrinks_the_model_as_reported(halved):
  from tfx_compression.lib.keras import saved_model_io  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.keras import model_cost  # pylint: disable=g-import-not-at-top
  report = executor_harness.report(halved[0])
  model = saved_model_io.load_keras_model(artifact_io.serving_dir(halved[0].uri))
  layers = {l["name"]: l for l in report["layers"]}
  for name, before, after in (("conv1", 16, 8), ("conv2", 32, 16),
                              ("dense1", 64, 32), ("probabilities", 10, 10)):
    assert (layers[name]["channels_before"], layers[name]["channels_after"]) \
        == (before, after)
    assert model.get_layer(name).output.shape[-1] == after
  cost = model_cost.cost(model)
  assert report["params_after"] == cost.params == model.count_params()
  assert report["flops_after"] == cost.flops
  assert report["params_ratio"] < 0.5 and report["flops_ratio"] < 0.5
  assert halved[0].get_custom_property(properties.FLOPS_RATIO) == \
      report["flops_ratio"]
  assert report["float_tflite_latency_us_after"] > 0
  assert report["eval_after"]["accuracy"] > 0.85
  assert report["eval_after"]["accuracy"] >= \
      report["eval_pruned_before_fine_tuning"]["accuracy"] - 0.02
  # Distilled by default from the input model (softmax outputs).
  distilled = json.loads(halved[0].get_custom_property(properties.DISTILLATION))
  assert distilled == report["distillation"]
  assert distilled["enabled"] and distilled["outputs"] == "probabilities"


def test_channel_pruned_model_serves_like_the_original(halved, trained_pipeline,
                                                       eval_inputs):
  serving_checks.assert_serves_like_keras(
      halved[0].uri, trained_pipeline.examples, eval_inputs, 0.85)


def test_channel_pruned_model_feeds_lite_converter_and_ptq(
    halved, trained_pipeline, tmp_path):
  out = executor_harness.run(
      "LiteConverter", {spec_channels.MODEL_KEY: halved[0],
                        spec_channels.EXAMPLES_KEY: trained_pipeline.examples},
      str(tmp_path / "lite"), LiteConverterConfig())[lite_spec.TFLITE_MODEL_KEY]
  assert out.get_custom_property(properties.VALIDATION_ARGMAX_AGREEMENT) == 1.0
  quantized = executor_harness.run(
      "PostTrainingQuantizer",
      {spec_channels.MODEL_KEY: halved[0],
       spec_channels.EXAMPLES_KEY: trained_pipeline.examples},
      str(tmp_path / "ptq"),
      PostTrainingQuantizerConfig(num_calibration_examples=50)
  )[ptq_spec.QUANTIZED_MODEL_KEY]
  # int8 weights; ~6 KB of fixed flatbuffer content keeps the ratio under 4x.
  assert os.path.getsize(artifact_io.tflite_path(quantized.uri)) < \
      0.6 * os.path.getsize(artifact_io.tflite_path(out.uri))


def test_surgery_is_exact_on_the_trained_model_and_a_mobilenet_v2(
    keras_model, eval_inputs):
  from tfx_compression.lib.channels import surgery  # pylint: disable=g-import-not-at-top
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  mobilenet = keras.applications.MobileNetV2(
      input_shape=(32, 32, 3), alpha=0.35, include_top=False, weights=None,
      pooling="avg")
  rng = np.random.default_rng(0)
  for layer in mobilenet.layers:  # BN with non-trivial statistics
    if type(layer).__name__ == "BatchNormalization":
      layer.set_weights([w + rng.uniform(0.1, 0.5, w.shape).astype(w.dtype)
                         for w in layer.get_weights()])
  images = rng.uniform(size=(8, 32, 32, 3)).astype(np.float32)
  for model, ratio, x in ((keras_model, 0.3, eval_inputs[0]),
                          (mobilenet, 0.5, images)):
    plan = surgery.plan(model, ratio)
    assert plan.pruned and plan.flops_after < plan.flops_before
    small = surgery.apply(model, plan)
    reference = surgery.mask_removed(model, plan)
    got, want = small(x).numpy(), reference(x).numpy()
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-4)
    assert np.abs(want - model(x).numpy()).max() > 1e-3


def test_selection_limits_which_layers_shrink(trained_pipeline, tmp_path):
  pruned, _ = _run(trained_pipeline, str(tmp_path), PrunerConfig(
      granularity="channel",
      channels=ChannelPruning(ratio=0.25, latency_runs=5),
      selection=LayerSelection(exclude_names=("conv2",)),
      fine_tuning=FineTuning(epochs=1, steps_per_epoch=5)))
  layers = {l["name"]: l for l in executor_harness.report(pruned)["layers"]}
  assert layers["conv2"]["channels_after"] == 32
  assert layers["conv1"]["channels_after"] == 12
  assert layers["dense1"]["channels_after"] == 48


def test_unknown_layer_ratio_fails_and_publishes_nothing(trained_pipeline,
                                                         tmp_path):
  config = PrunerConfig(granularity="channel", channels=ChannelPruning(
      layer_ratios={"conv9": 0.5}), fine_tuning=FineTuning(epochs=1))
  with pytest.raises(CompressionConfigError,
                     match=r"ratios names unknown layer\(s\) \['conv9'\]; "
                     r"prunable layers: .*'conv1'"):
    _run(trained_pipeline, str(tmp_path), config)
  assert executor_harness.nothing_published(str(tmp_path))


@pytest.mark.parametrize("kwargs, message", [
    (dict(ratio=1.0), r"channels.ratio must be in \[0, 1\); got 1.0"),
    (dict(ratio=-0.1), r"channels.ratio must be in \[0, 1\); got -0.1"),
    (dict(layer_ratios={"conv1": 1.5}),
     r"channels.layer_ratios\['conv1'\] must be in \[0, 1\); got 1.5"),
    (dict(), r"exactly one of ratio, layer_ratios or auto; got none"),
    (dict(ratio=0.3, auto=AutoRatios()), r"got \['ratio', 'auto'\]"),
    (dict(ratio=0.3, criterion="l3"), r"channels.criterion must be one of"),
])
def test_bad_channel_config_is_refused(kwargs, message):
  with pytest.raises(CompressionConfigError, match=message):
    ChannelPruning(**kwargs)


def test_channel_granularity_combinations():
  with pytest.raises(CompressionConfigError, match="needs channels="):
    PrunerConfig(granularity="channel")
  with pytest.raises(CompressionConfigError, match="schedule must be None"):
    PrunerConfig(granularity="channel", schedule=PolynomialDecay(),
                 channels=ChannelPruning(ratio=0.5))
  with pytest.raises(CompressionConfigError, match="granularity 'channel' only"):
    PrunerConfig(channels=ChannelPruning(ratio=0.5))
  with pytest.raises(CompressionConfigError,
                     match=r"keep_fraction must be in \(0, 1\]; got 0.0"):
    AutoRatios(keep_fraction=0.0)
  with pytest.raises(CompressionConfigError, match="increasing, distinct"):
    AutoRatios(candidate_ratios=(0.5, 0.25))
  config = PrunerConfig(granularity="channel", channels=ChannelPruning(
      auto=AutoRatios(target="latency", keep_fraction=0.6)))
  assert PrunerConfig.from_json(config.to_json()) == config


def test_readme_channel_example_runs(trained_pipeline, tmp_path):
  import re  # pylint: disable=g-import-not-at-top
  readme = os.path.join(os.path.dirname(os.path.dirname(
      os.path.abspath(__file__))), "components", "pruner", "README.md")
  text = open(readme).read().split("## Channel pruning", 1)[1]
  (block,) = re.findall(r"```python\n(.*?)```", text, re.S)
  namespace = {}
  exec(block, namespace)  # pylint: disable=exec-used
  pruned, _ = _run(trained_pipeline, str(tmp_path), namespace["config"])
  report = executor_harness.report(pruned)
  assert report["granularity"] == "channel"
  assert report["flops_ratio"] < 0.75
