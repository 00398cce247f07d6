"""Features with missing values: a serving signature that parses a
tf.io.VarLenFeature (what SchemaGen makes of a CSV column with empty cells)
and fills what is missing, as TFX's taxi example does."""

import os

import numpy as np
import pytest

import executor_harness
import reliability_inputs
import task_models
from model_factories import model_artifact
from tfx_compression.framework import spec_channels
from tfx_compression.compression_evaluator import spec as evaluator_spec
from tfx_compression.compression_evaluator.config import CompressionEvaluatorConfig
from tfx_compression.errors import InputMismatchError
from tfx_compression.lib.keras import saved_model_info
from tfx_compression.lite_converter import spec as lite_spec
from tfx_compression.lite_converter.config import LiteConverterConfig

OPTIONAL = "x0"


def _save_with_optional_feature(model, path):
  """serving_default parses x0 as VarLen and fills a missing value with 0."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  spec = {n: tf.io.FixedLenFeature([1], tf.float32)
          for n in task_models.FEATURES if n != OPTIONAL}
  spec[OPTIONAL] = tf.io.VarLenFeature(tf.float32)

  @tf.function(input_signature=[tf.TensorSpec([None], tf.string,
                                              name="examples")])
  def serve(serialized):
    features = tf.io.parse_example(serialized, spec)
    sparse = features[OPTIONAL]
    features[OPTIONAL] = tf.sparse.to_dense(tf.sparse.reset_shape(
        sparse, [tf.shape(serialized, out_type=tf.int64)[0], 1]))
    return {"score": model(features)}

  model.save(path, save_format="tf", signatures={"serving_default": serve})
  return path


def _empty(record: bytes) -> bytes:
  """`record` with x0 present but empty (a float list with no value)."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  example = tf.train.Example.FromString(record)
  del example.features.feature[OPTIONAL].float_list.value[:]
  return example.SerializeToString()


@pytest.fixture(scope="module")
def with_missing(sigmoid, tmp_path_factory):
  """The sigmoid model served with x0 optional; splits where x0 is missing
  (absent, or present with no value as CsvExampleGen writes an empty cell)
  from every fifth record."""
  out = tmp_path_factory.mktemp("missing")
  uri = str(out / "model")
  _save_with_optional_feature(sigmoid.model, os.path.join(uri, "Format-Serving"))
  splits = {}
  for split in ("train", "eval"):
    records = reliability_inputs.records(sigmoid.examples, split)
    splits[split] = [
        reliability_inputs.edit(r, **{OPTIONAL: None}) if i % 10 == 0 else
        _empty(r) if i % 10 == 5 else r for i, r in enumerate(records)]
  examples = reliability_inputs.examples_artifact(str(out / "examples"), splits)
  return model_artifact(uri), examples, splits


def test_serving_features_include_the_optional_one(with_missing):
  model, _, _ = with_missing
  info = saved_model_info.read(os.path.join(model.uri, "Format-Serving"))
  feature = info.serving_features[OPTIONAL]
  assert (feature.optional, feature.shape, feature.dtype) == (
      True, (1,), "float32")
  assert not info.serving_features["x1"].optional


def test_raw_feature_tflite_takes_missing_values_as_serving_does(
    with_missing, tmp_path):
  """The TFLite model takes x0 dense; the evaluator feeds a missing value as
  0, which is what the serving signature fills: same predictions."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from tfx_compression.framework import artifact_io  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.conversion import model_loading  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.tflite import inference  # pylint: disable=g-import-not-at-top
  model, examples, splits = with_missing
  lite = executor_harness.run(
      "LiteConverter", {spec_channels.MODEL_KEY: model,
                        spec_channels.EXAMPLES_KEY: examples},
      str(tmp_path / "lite"), LiteConverterConfig())[lite_spec.TFLITE_MODEL_KEY]
  report = executor_harness.report(lite)
  assert report["serving_validation"]["argmax_agreement"] == 1.0
  data = artifact_io.read_bytes(artifact_io.tflite_path(lite.uri))
  records = splits["eval"][:20]
  loaded = model_loading.load_for_conversion(
      os.path.join(model.uri, "Format-Serving"))
  expected = loaded.serving_outputs(records)["score"]
  x0 = [tf.train.Example.FromString(r).features.feature[OPTIONAL].float_list
        .value for r in records]
  inputs = {n: np.array([[tf.train.Example.FromString(r).features.feature[n]
                          .float_list.value[0]] for r in records], np.float32)
            for n in task_models.FEATURES if n != OPTIONAL}
  inputs[OPTIONAL] = np.array([[v[0] if v else 0.0] for v in x0], np.float32)
  got = inference.predict(data, inputs)["score"]
  np.testing.assert_allclose(got, expected, atol=1e-5)
  evaluation = executor_harness.run(
      "CompressionEvaluator",
      {spec_channels.EXAMPLES_KEY: examples, spec_channels.MODEL_KEY: lite,
       evaluator_spec.BASELINE_MODEL_KEY: model},
      str(tmp_path / "eval"), CompressionEvaluatorConfig(
          benchmark=executor_harness_fast()))
  report = executor_harness.report(evaluation[evaluator_spec.EVALUATION_KEY])
  assert report["verdict"] == "BLESSED", report["failed_checks"]


def executor_harness_fast():
  import evaluator_runs  # pylint: disable=g-import-not-at-top
  return evaluator_runs.FAST


def test_an_optional_feature_with_several_values_is_refused(with_missing,
                                                            tmp_path):
  model, _, splits = with_missing
  bad = list(splits["eval"])
  bad[3] = reliability_inputs.edit(bad[3], **{OPTIONAL: [0.5, 0.25]})
  examples = reliability_inputs.examples_artifact(
      str(tmp_path / "examples"), {"train": splits["train"], "eval": bad})
  with pytest.raises(InputMismatchError, match=r"feature 'x0' has 2 value\(s\) "
                     r"in record 3 .* may be missing .* at most one value"):
    executor_harness.run(
        "LiteConverter", {spec_channels.MODEL_KEY: model,
                          spec_channels.EXAMPLES_KEY: examples},
        str(tmp_path / "lite"), LiteConverterConfig())
