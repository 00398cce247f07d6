"""Executors on TFX's penguin Trainer output: Transform, tf.saved_model.save.

The session's penguin fixture ran TFX's own example pipeline; its Trainer
saved a Functional model with `tf.saved_model.save` and a serving signature
that parses raw tf.Examples and applies the Transform graph.
"""

import os
import types

import pytest

import executor_harness
import tfx_examples
from model_factories import model_artifact
from tfx_compression.framework import spec_channels
from tfx_compression.framework import artifact_io
from tfx_compression.framework import properties
from tfx_compression.errors import ConversionError
from tfx_compression.errors import InputMismatchError
from tfx_compression.lib.options.conversion import OpSet
from tfx_compression.errors import UnsupportedModelError
from tfx_compression.compression_evaluator import spec as evaluator_spec
from tfx_compression.fine_tuning import spec as tuning_spec
from tfx_compression.fine_tuning.config import FineTuning
from tfx_compression.lite_converter import spec as lite_spec
from tfx_compression.lite_converter.config import LiteConverterConfig
from tfx_compression.post_training_quantizer import spec as ptq_spec
from tfx_compression.post_training_quantizer.config import PostTrainingQuantizerConfig
from tfx_compression.pruner import spec as pruner_spec
from tfx_compression.pruner.channel_config import ChannelPruning
from tfx_compression.pruner.config import PolynomialDecay
from tfx_compression.pruner.config import PrunerConfig

MODEL_FN = {"model_fn": "build",
            "module_file": tfx_examples.PENGUIN_MODEL_FN_FILE}


@pytest.fixture(scope="module")
def artifacts(penguin):
  """The penguin pipeline's examples, model and transform_graph (TFX's
  stock output keys)."""
  out = lambda node, key: tfx_examples.outputs(penguin, node)[key][0]
  return types.SimpleNamespace(
      examples=out("CsvExampleGen", "examples"),
      model=out("Trainer", "model"),
      transform_graph=out("Transform", "transform_graph"))


def _convert(artifacts, out, config, transform=True, model=None):
  """(TFLite model, report) of LiteConverter, the Transform graph given or
  not."""
  output = executor_harness.run(
      "LiteConverter",
      {spec_channels.MODEL_KEY: model or artifacts.model,
       spec_channels.EXAMPLES_KEY: artifacts.examples,
       spec_channels.TRANSFORM_GRAPH_KEY:
           artifacts.transform_graph if transform else None},
      str(out), config)[lite_spec.TFLITE_MODEL_KEY]
  return output, executor_harness.report(output)


def test_tflite_takes_raw_features_with_the_transform_folded_in(artifacts,
                                                                tmp_path):
  output, report = _convert(artifacts, tmp_path / "out", LiteConverterConfig())
  assert report["summary"]["input_names"] == sorted(
      tfx_examples.PENGUIN_FEATURES)
  assert report["summary"]["input_dtypes"]["body_mass_g"] == "int64"
  assert report["source_saved_with"] == "tf.saved_model.save"
  assert output.get_custom_property(properties.TFLITE_INPUTS) == "serving"
  # The serving signature's own answers on the same serialized records.
  serving = report["serving_validation"]
  assert serving["num_examples"] == 100 and serving["argmax_agreement"] == 1.0
  assert serving["max_abs_diff"] < 1e-4
  assert report["summary"]["output_names"] == ["outputs"]


def test_model_inputs_only_when_asked(artifacts, tmp_path):
  output, report = _convert(artifacts, tmp_path / "out",
                            LiteConverterConfig(inputs="model"))
  assert report["summary"]["input_names"] == sorted(
      f"{f}_xf" for f in tfx_examples.PENGUIN_FEATURES)
  assert output.get_custom_property(properties.TFLITE_INPUTS) == "model"
  assert report["serving_validation"]["argmax_agreement"] == 1.0


def test_without_the_transform_graph_the_refusal_says_what_to_pass(artifacts,
                                                                   tmp_path):
  with pytest.raises(InputMismatchError,
                     match=r"serving_default parses \['body_mass_g'.*Pass the "
                     r"pipeline's transform_graph .* or set inputs='model'"):
    _convert(artifacts, tmp_path / "out", LiteConverterConfig(),
             transform=False)
  assert executor_harness.nothing_published(str(tmp_path / "out"))


def test_int8_keeps_the_transform_float_and_answers_like_serving(artifacts,
                                                                 tmp_path):
  model = executor_harness.run(
      "PostTrainingQuantizer",
      {spec_channels.MODEL_KEY: artifacts.model,
       spec_channels.EXAMPLES_KEY: artifacts.examples,
       spec_channels.TRANSFORM_GRAPH_KEY: artifacts.transform_graph},
      str(tmp_path), PostTrainingQuantizerConfig(
          num_calibration_examples=100, num_validation_examples=200))[
              ptq_spec.QUANTIZED_MODEL_KEY]
  report = executor_harness.report(model)
  reasons = [d["reason"] for d in report["float_layers"]["decisions"]]
  assert any(r.startswith("preprocessing: ") for r in reasons), reasons
  assert report["summary"]["tensor_dtype_counts"]["int8"] > 5
  assert report["serving_validation"]["argmax_agreement"] >= 0.98


def _prune(artifacts, out_dir, config, model=None):
  """(pruned model, report) of the Pruner with the Transform graph."""
  pruned = executor_harness.run(
      "Pruner", {spec_channels.EXAMPLES_KEY: artifacts.examples,
                 spec_channels.MODEL_KEY: model or artifacts.model,
                 spec_channels.TRANSFORM_GRAPH_KEY: artifacts.transform_graph},
      out_dir, config)[pruner_spec.PRUNED_MODEL_KEY]
  return pruned, executor_harness.report(pruned)


def test_pruner_needs_model_fn_for_a_tf_saved_model_export(artifacts,
                                                           tmp_path):
  with pytest.raises(UnsupportedModelError,
                     match=r"saved with tf.saved_model.save .*Set model_fn.*"
                     r"LiteConverter and PostTrainingQuantizer need neither"):
    _prune(artifacts, str(tmp_path), PrunerConfig())


def test_channel_pruning_rebuilds_the_transform_signature(artifacts,
                                                          tmp_path):
  config = PrunerConfig(granularity="channel",
                        channels=ChannelPruning(ratio=0.25),
                        fine_tuning=FineTuning(epochs=2), **MODEL_FN)
  pruned, report = _prune(artifacts, str(tmp_path), config)
  assert report["params_ratio"] < 0.9
  # The smaller model serves the raw examples through the Transform graph.
  output, converted = _convert(artifacts, tmp_path / "tflite",
                               LiteConverterConfig(), model=pruned)
  assert converted["serving_validation"]["max_abs_diff"] < 1e-4
  assert output.get_custom_property(properties.SIZE_BYTES) > 0


@pytest.fixture(scope="module")
def keras_model_with_tft_layer(artifacts, tmp_path_factory):
  """TFX's penguin model saved with model.save, `tft_layer` attached."""
  # pylint: disable=g-import-not-at-top
  import penguin_model_fn
  from tfx.examples.penguin import penguin_utils_base
  from tfx_compression.lib.data import feature_space
  model = penguin_model_fn.build()
  model.load_weights(os.path.join(artifact_io.serving_dir(
      artifacts.model.uri), "variables", "variables")).expect_partial()
  signatures = penguin_utils_base.make_serving_signatures(
      model, feature_space.transform_output(artifacts.transform_graph.uri))
  uri = str(tmp_path_factory.mktemp("keras_penguin"))
  model.save(os.path.join(uri, "Format-Serving"), save_format="tf",
             signatures=signatures)
  return model_artifact(uri)


def test_pruner_on_a_functional_model_with_the_transform_layer_attached(
    artifacts, keras_model_with_tft_layer, tmp_path):
  config = PrunerConfig(schedule=PolynomialDecay(0.3, 0.6, frequency=5),
                        fine_tuning=FineTuning(epochs=3))
  pruned, report = _prune(artifacts, str(tmp_path), config,
                          model=keras_model_with_tft_layer)
  assert report["source_saved_with"] == "tf_keras model.save"
  assert report["pruned_layers_sparsity"] > 0.5
  assert report["export_serving_max_abs_diff"] < 1e-4
  assert report["inputs_from"].startswith("raw features through the Transform")


def test_a_transform_tflite_cannot_run_names_the_op_and_both_ways_out():
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  import tf_keras  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.conversion import model_function  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.conversion import tflite_converter  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.keras.saved_model_info import FeatureInfo  # pylint: disable=g-import-not-at-top
  x = tf_keras.Input((1,), name="bucket_xf")
  model = tf_keras.Model(x, tf_keras.layers.Dense(2)(x))

  class HashTransform(tf.Module):  # A stand-in for a vocabulary Transform.

    def __call__(self, features):
      bucket = tf.strings.to_hash_bucket_fast(features["city"], 10)
      return {"bucket_xf": tf.cast(bucket, tf.float32)}

  function = model_function.from_keras(model).with_transform(
      HashTransform(), {"city": FeatureInfo("city", "string", (1,))})
  with pytest.raises(ConversionError,
                     match=r"Transform graph .*StringToHashBucketFast.*"
                     r"inputs='model'.*op_set='auto'"):
    tflite_converter.convert_keras(function, op_set=OpSet.BUILTINS)


def _evaluate(artifacts, candidate, out_dir):
  """The CompressionEvaluator's report on `candidate` against the Trainer's."""
  # pylint: disable=g-import-not-at-top
  from tfx_compression.compression_evaluator.config import Benchmark
  from tfx_compression.compression_evaluator.config import CompressionEvaluatorConfig
  config = CompressionEvaluatorConfig(benchmark=Benchmark(
      warmup_runs=2, runs=20, measure_memory=False))
  return executor_harness.report(executor_harness.run(
      "CompressionEvaluator",
      {spec_channels.EXAMPLES_KEY: artifacts.examples,
       spec_channels.TRANSFORM_GRAPH_KEY: artifacts.transform_graph,
       spec_channels.MODEL_KEY: candidate,
       evaluator_spec.BASELINE_MODEL_KEY: artifacts.model},
      out_dir, config)[evaluator_spec.EVALUATION_KEY])


@pytest.mark.parametrize("inputs, runs_as", [
    ("serving", "TFLite interpreter on raw features of the examples"),
    ("model", "TFLite interpreter on raw features through the Transform"),
])
def test_evaluator_compares_tflite_with_the_serving_signature(
    artifacts, tmp_path, inputs, runs_as):
  candidate, _ = _convert(artifacts, tmp_path / "tflite",
                          LiteConverterConfig(inputs=inputs))
  report = _evaluate(artifacts, candidate, str(tmp_path / "evaluation"))
  assert report["error"] is None and report["verdict"] == "BLESSED"
  assert report["candidate"]["runs_as"].startswith(runs_as)
  assert report["baseline"]["runs_as"] == (
      "serving_default on the serialized examples")
  # Derived from the artifacts: the label serving_default does not parse, as
  # the Transform graph outputs it (species_xf, what the model trained on),
  # and the signature's only output.
  assert (report["tfma"]["label_key"], report["tfma"]["prediction_key"]) == (
      "species_xf", "outputs")
  (overall,) = [m for m in report["metrics"] if m["slice_name"] == "Overall"]
  assert overall["candidate"] == overall["baseline"] > 0.9
  # The baseline is measured as TFLite taking the candidate's kind of inputs.
  assert report["baseline"]["tflite_inputs"] == inputs
