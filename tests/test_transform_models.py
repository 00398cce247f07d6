"""Executors on TFX's penguin Trainer output: Transform, tf.saved_model.save.

The session's penguin fixture ran TFX's own example pipeline; its Trainer
saved a Functional model with `tf.saved_model.save` and a serving signature
that parses raw tf.Examples and applies the Transform graph.
"""

import json
import os

import pytest

import tfx_examples
from model_factories import model_artifact
from tfx_compression import artifact_io
from tfx_compression import properties
from tfx_compression.errors import ConversionError
from tfx_compression.errors import InputMismatchError
from tfx_compression.errors import UnsupportedModelError
from tfx_compression.fine_tuning.config import FineTuning
from tfx_compression.lite_converter import executor as lite_executor
from tfx_compression.lite_converter.config import LiteConverterConfig
from tfx_compression.post_training_quantizer import executor as ptq_executor
from tfx_compression.post_training_quantizer.config import PostTrainingQuantizerConfig
from tfx_compression.pruner import executor as pruner_executor
from tfx_compression.pruner.channel_config import ChannelPruning
from tfx_compression.pruner.config import PolynomialDecay
from tfx_compression.pruner.config import PrunerConfig

MODEL_FN = {"model_fn": "build",
            "module_file": tfx_examples.PENGUIN_MODEL_FN_FILE}


@pytest.fixture(scope="module")
def artifacts(penguin):
  out = lambda node, key: tfx_examples.outputs(penguin, node)[key][0]
  return {"examples": out("CsvExampleGen", "examples"),
          "model": out("Trainer", "model"),
          "transform_graph": out("Transform", "transform_graph")}


def _inputs(artifacts, *keys, **replace):
  inputs = {k: [artifacts[k]] for k in keys}
  inputs.update({k: [v] for k, v in replace.items()})
  return inputs


def _convert(artifacts, out, config, *keys):
  output = model_artifact(str(out))
  lite_executor.Executor().Do(
      _inputs(artifacts, "model", "examples", *keys),
      {"tflite_model": [output]}, config.to_exec_properties())
  return output, json.load(open(os.path.join(output.uri, "report.json")))


def test_tflite_takes_raw_features_with_the_transform_folded_in(artifacts,
                                                                tmp_path):
  output, report = _convert(artifacts, tmp_path / "out", LiteConverterConfig(),
                            "transform_graph")
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
                            LiteConverterConfig(inputs="model"),
                            "transform_graph")
  assert report["summary"]["input_names"] == sorted(
      f"{f}_xf" for f in tfx_examples.PENGUIN_FEATURES)
  assert output.get_custom_property(properties.TFLITE_INPUTS) == "model"
  assert report["serving_validation"]["argmax_agreement"] == 1.0


def test_without_the_transform_graph_the_refusal_says_what_to_pass(artifacts,
                                                                   tmp_path):
  with pytest.raises(InputMismatchError,
                     match=r"serving_default parses \['body_mass_g'.*Pass the "
                     r"pipeline's transform_graph .* or set inputs='model'"):
    _convert(artifacts, tmp_path / "out", LiteConverterConfig())
  assert not os.path.exists(tmp_path / "out") or not os.listdir(
      tmp_path / "out")


def test_int8_keeps_the_transform_float_and_answers_like_serving(artifacts,
                                                                 tmp_path):
  from tfx.types import standard_artifacts  # pylint: disable=g-import-not-at-top
  model = model_artifact(str(tmp_path / "int8"))
  sample = standard_artifacts.Examples()
  sample.uri = str(tmp_path / "sample")
  ptq_executor.Executor().Do(
      _inputs(artifacts, "model", "examples", "transform_graph"),
      {"quantized_model": [model], "calibration_examples": [sample]},
      PostTrainingQuantizerConfig(num_calibration_examples=100,
                                  num_validation_examples=200
                                  ).to_exec_properties())
  report = json.load(open(os.path.join(model.uri, "report.json")))
  reasons = [d["reason"] for d in report["float_layers"]["decisions"]]
  assert any(r.startswith("preprocessing: ") for r in reasons), reasons
  assert report["summary"]["tensor_dtype_counts"]["int8"] > 5
  assert report["serving_validation"]["argmax_agreement"] >= 0.98


def _prune(artifacts, out_dir, config, **replace):
  from tfx.types import standard_artifacts  # pylint: disable=g-import-not-at-top
  pruned = model_artifact(os.path.join(out_dir, "model"))
  run = standard_artifacts.ModelRun()
  run.uri = os.path.join(out_dir, "run")
  pruner_executor.Executor().Do(
      _inputs(artifacts, "examples", "model", "transform_graph", **replace),
      {"pruned_model": [pruned], "model_run": [run]},
      {"pruner_config": config.to_json()})
  return pruned, json.load(open(os.path.join(pruned.uri, "report.json")))


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
  output, converted = _convert({**artifacts, "model": pruned},
                               tmp_path / "tflite", LiteConverterConfig(),
                               "transform_graph")
  assert converted["serving_validation"]["max_abs_diff"] < 1e-4
  assert output.get_custom_property(properties.SIZE_BYTES) > 0


@pytest.fixture(scope="module")
def keras_model_with_tft_layer(artifacts, tmp_path_factory):
  """TFX's penguin model saved with model.save, `tft_layer` attached."""
  # pylint: disable=g-import-not-at-top
  import penguin_model_fn
  from tfx.examples.penguin import penguin_utils_base
  from tfx_compression.lib import feature_space
  model = penguin_model_fn.build()
  model.load_weights(os.path.join(artifact_io.serving_dir(
      artifacts["model"].uri), "variables", "variables")).expect_partial()
  signatures = penguin_utils_base.make_serving_signatures(
      model, feature_space.transform_output(artifacts["transform_graph"].uri))
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
  from tfx_compression.lib import model_function  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib import tflite_convert  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.saved_model_info import FeatureInfo  # pylint: disable=g-import-not-at-top
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
                     r"inputs='model'.*builtins_and_select_tf_ops"):
    tflite_convert.convert_keras(function)


def _evaluate(artifacts, candidate, out_dir, **replace):
  # pylint: disable=g-import-not-at-top
  from tfx.types import standard_artifacts
  from tfx_compression.compression_evaluator import executor
  from tfx_compression.compression_evaluator.config import Benchmark
  from tfx_compression.compression_evaluator.config import CompressionEvaluatorConfig
  evaluation = standard_artifacts.ModelEvaluation()
  evaluation.uri = os.path.join(out_dir, "evaluation")
  blessing = standard_artifacts.ModelBlessing()
  blessing.uri = os.path.join(out_dir, "blessing")
  candidate.id = 1001
  config = CompressionEvaluatorConfig(benchmark=Benchmark(
      warmup_runs=2, runs=20, measure_memory=False))
  executor.Executor().Do(
      dict(_inputs(artifacts, "examples", "transform_graph", **replace),
           model=[candidate], baseline_model=[artifacts["model"]]),
      {"evaluation": [evaluation], "blessing": [blessing]},
      {"evaluator_config": config.to_json()})
  return json.load(open(os.path.join(evaluation.uri, "report.json")))


@pytest.mark.parametrize("inputs, runs_as", [
    ("serving", "TFLite interpreter on raw features of the examples"),
    ("model", "TFLite interpreter on raw features through the Transform"),
])
def test_evaluator_compares_tflite_with_the_serving_signature(
    artifacts, tmp_path, inputs, runs_as):
  candidate, _ = _convert(artifacts, tmp_path / "tflite",
                          LiteConverterConfig(inputs=inputs),
                          "transform_graph")
  report = _evaluate(artifacts, candidate, str(tmp_path))
  assert report["error"] is None and report["verdict"] == "BLESSED"
  assert report["candidate"]["runs_as"].startswith(runs_as)
  assert report["baseline"]["runs_as"] == (
      "serving_default on the serialized examples")
  # Derived from the artifacts: the label serving_default does not parse,
  # the signature's only output.
  assert (report["tfma"]["label_key"], report["tfma"]["prediction_key"]) == (
      "species", "outputs")
  (overall,) = [m for m in report["metrics"] if m["slice_name"] == "Overall"]
  assert overall["candidate"] == overall["baseline"] > 0.9
  # The baseline is measured as TFLite taking the candidate's kind of inputs.
  assert report["baseline"]["tflite_inputs"] == inputs
