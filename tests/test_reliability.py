"""Reliability: hostile inputs get a named error, nothing wrong is published,
nothing is blessed by accident.

Table-driven: each row builds one hostile input, runs the real executor (or
config class, or CLI) and asserts the exact error class, the key words of
its message and that no artifact was published (or that the blessing is
NOT_BLESSED with the reason).
"""

import math
import os

import pytest

import executor_harness as harness
import reliability_inputs as hostile
from model_factories import model_artifact
from model_factories import small_cnn
from tfx_compression.framework import artifact_io
from tfx_compression import errors
from tfx_compression.compression_evaluator.config import Benchmark
from tfx_compression.compression_evaluator.config import CompressionEvaluatorConfig
from tfx_compression.compression_evaluator.config import MetricThreshold
from tfx_compression.fine_tuning.config import FineTuning
from tfx_compression.lite_converter.config import LiteConverterConfig
from tfx_compression.pipelines import cli
from tfx_compression.pruner.config import PolynomialDecay
from tfx_compression.pruner.config import PrunerConfig
from tfx_compression.quantization_aware_trainer.config import QatConfig

FAST_EVAL = CompressionEvaluatorConfig(
    benchmark=Benchmark(warmup_runs=1, runs=5, measure_memory=False))
FAST_PRUNE = PrunerConfig(schedule=PolynomialDecay(0.2, 0.5, frequency=5),
                          fine_tuning=FineTuning(epochs=1))


# -- Configuration: finite numbers, metric directions, lists and mappings. --

@pytest.mark.parametrize("build, error, words", [
    (lambda: LiteConverterConfig(min_argmax_agreement=math.nan),
     errors.CompressionConfigError, "min_argmax_agreement must be a finite"),
    (lambda: FineTuning(learning_rate=math.nan),
     errors.CompressionConfigError, "fine_tuning.learning_rate must be a finite"),
    (lambda: MetricThreshold(max_drop=math.inf),
     errors.CompressionConfigError, "metrics.max_drop must be a finite"),
    (lambda: MetricThreshold(class_name="SparseCategoricalAccuracy",
                             direction="lower_is_better"),
     errors.CompressionConfigError,
     "direction of SparseCategoricalAccuracy must be 'higher_is_better'"),
    (lambda: MetricThreshold(class_name="MeanSquaredError",
                             direction="higher_is_better"),
     errors.CompressionConfigError, "must be 'lower_is_better'"),
    (lambda: _plan({"lite_optimizations": "none"}),
     errors.CompressionConfigError, "lite_optimizations must be a list; got str"),
    (lambda: _plan({"evaluator": "strict"}),
     errors.CompressionConfigError, "must be a mapping; got 'strict'"),
    (lambda: _plan({"push_destination": 5}),
     errors.CompressionConfigError, "push_destination must be a non-empty string"),
    (lambda: _plan({"evaluator": {"metrics": "Accuracy"}}),
     errors.CompressionConfigError, "metrics must be a list"),
])
def test_bad_configuration_is_named(build, error, words):
  with pytest.raises(error, match=words):
    build()


def _plan(values):
  from tfx_compression.pipelines.compression import CompressionPlan  # pylint: disable=g-import-not-at-top
  return CompressionPlan.from_dict(values)


@pytest.mark.parametrize("name, text, words", [
    ("plan.yaml", "ptq_modes: [int8\nqat: {}\n",
     "is not valid YAML: .* at line 2, column 4"),
    ("plan.json", '{"ptq_modes": ["int8"],}', "is not valid JSON: .* line 1"),
    ("plan.json", '["int8"]', "must hold a mapping of plan fields; got list"),
])
def test_bad_plan_files_exit_2_with_the_line(tmp_path, capsys, name, text,
                                             words):
  import re  # pylint: disable=g-import-not-at-top
  (tmp_path / name).write_text(text)
  (tmp_path / "data").mkdir()
  code = cli.main(["run", "--data", str(tmp_path / "data"), "--run-fn", "a.b",
                   "--config", str(tmp_path / name)])
  assert code == cli.EXIT_BAD_INPUT
  assert re.search(words, capsys.readouterr().err)


@pytest.mark.parametrize("error, code", [
    (errors.DataError("x"), cli.EXIT_BAD_INPUT),
    (errors.UnsupportedModelError("x"), cli.EXIT_BAD_INPUT),
    (errors.WorkdirInUseError("x"), cli.EXIT_BAD_INPUT),
    (errors.ConversionError("x"), cli.EXIT_FAILURE),
    (errors.ModelValidationError("x"), cli.EXIT_FAILURE),
    (errors.StepFailedError("x"), cli.EXIT_FAILURE),
    (RuntimeError("x"), cli.EXIT_FAILURE),
])
def test_one_exit_code_rule(error, code):
  assert cli.exit_code(error) == code


def test_a_second_run_in_a_busy_workdir_is_refused_at_once(tmp_path, capsys):
  from tfx_compression.pipelines import workdir_lock  # pylint: disable=g-import-not-at-top
  import multiprocessing  # pylint: disable=g-import-not-at-top
  ready, done = multiprocessing.Event(), multiprocessing.Event()
  holder = multiprocessing.get_context("fork").Process(
      target=_hold, args=(str(tmp_path), ready, done))
  holder.start()
  try:
    assert ready.wait(30)
    code = cli.main(["demo", "--workdir", str(tmp_path)])
  finally:
    done.set()
    holder.join(30)
  assert code == cli.EXIT_BAD_INPUT
  err = capsys.readouterr().err
  assert "is in use by another tfx-compression run (pid" in err
  assert not (tmp_path / "data").exists()  # nothing ran
  with workdir_lock.exclusive(str(tmp_path)):  # released with the process
    pass


def _hold(workdir, ready, done):
  from tfx_compression.pipelines import workdir_lock  # pylint: disable=g-import-not-at-top
  with workdir_lock.exclusive(workdir):
    ready.set()
    done.wait(60)


# -- Models: damaged files and code stored in the artifact. --

def _damaged(kind, trained_pipeline, tmp_path):
  uri = hostile.copy_model(trained_pipeline.model.uri, str(tmp_path / "model"))
  serving = os.path.join(uri, "Format-Serving")
  if kind == "saved_model.pb":
    hostile.truncate(os.path.join(serving, "saved_model.pb"))
  elif kind == "keras_metadata.pb":
    with open(os.path.join(serving, "keras_metadata.pb"), "wb") as f:
      f.write(b"\x0a\xff\xff garbage")
  else:
    data = [f for f in os.listdir(os.path.join(serving, "variables"))
            if f.startswith("variables.data")][0]
    hostile.truncate(os.path.join(serving, "variables", data), 0.3)
  return model_artifact(uri)


@pytest.mark.parametrize("kind, component, words", [
    ("saved_model.pb", "LiteConverter",
     r"saved_model.pb is not a readable SavedModel proto"),
    ("saved_model.pb", "Pruner",
     r"saved_model.pb is not a readable SavedModel proto"),
    ("keras_metadata.pb", "LiteConverter", r"keras_metadata.pb is damaged"),
    ("variables", "LiteConverter", r"variables"),
])
def test_damaged_model_files_are_named(trained_pipeline, tmp_path, kind,
                                       component, words):
  model = _damaged(kind, trained_pipeline, tmp_path)
  config = {"LiteConverter": LiteConverterConfig(),
            "QuantizationAwareTrainer": QatConfig()}.get(component, FAST_PRUNE)
  with pytest.raises(errors.CompressionError, match=words) as raised:
    harness.run(component, {"model": model,
                            "examples": trained_pipeline.examples},
                str(tmp_path / "out"), config)
  assert isinstance(raised.value, ValueError)  # invalid input: exit code 2
  assert harness.nothing_published(str(tmp_path / "out"))


def test_damaged_baseline_is_not_blessed(trained_pipeline, tmp_path):
  baseline = _damaged("saved_model.pb", trained_pipeline, tmp_path)
  candidate = harness.run("LiteConverter", {"model": trained_pipeline.model},
                          str(tmp_path / "tflite"),
                          LiteConverterConfig())["tflite_model"]
  out = harness.run("CompressionEvaluator",
                    {"examples": trained_pipeline.examples,
                     "model": candidate, "baseline_model": baseline},
                    str(tmp_path / "eval"), FAST_EVAL)
  _assert_not_blessed(out, "saved_model.pb is not a readable SavedModel")


def _assert_not_blessed(out, words):
  report = harness.report(out["evaluation"])
  assert report["verdict"] == "NOT_BLESSED"
  assert words in report["error"], report["error"]
  assert os.listdir(out["blessing"].uri) == ["NOT_BLESSED"]
  assert out["blessing"].get_int_custom_property("blessed") == 0


@pytest.fixture(scope="module")
def lambda_artifact(tmp_path_factory):
  root = tmp_path_factory.mktemp("lambda")
  marker = str(root / "marker")
  model = hostile.lambda_model(marker)
  model.save(str(root / "model" / "Format-Serving"), save_format="tf")
  os.remove(marker)  # Written while Keras traced the model to save it.
  return model_artifact(str(root / "model")), marker


def test_lambda_bytecode_never_runs_in_conversion(trained_pipeline,
                                                  lambda_artifact, tmp_path):
  model, marker = lambda_artifact
  out = harness.run("LiteConverter", {"model": model,
                                      "examples": trained_pipeline.examples},
                    str(tmp_path / "out"), LiteConverterConfig())
  assert harness.report(out["tflite_model"])["source_saved_with"] == (
      "tf_keras model.save")
  assert os.path.isfile(artifact_io.tflite_path(out["tflite_model"].uri))
  # The traced graph was converted: the Lambda's Python never ran.
  assert not os.path.exists(marker)


def test_lambda_model_is_refused_for_fine_tuning_unless_trusted(
    trained_pipeline, lambda_artifact, tmp_path):
  model, marker = lambda_artifact
  with pytest.raises(errors.UnsupportedModelError,
                     match=r"Lambda layer\(s\) \['side_effect'\].*model_fn.*"
                     "trust_model_code=True"):
    harness.run("Pruner", {"model": model,
                           "examples": trained_pipeline.examples},
                str(tmp_path / "out"), FAST_PRUNE)
  assert harness.nothing_published(str(tmp_path / "out"))
  assert not os.path.exists(marker)


def test_subclassed_model_is_refused_for_fine_tuning(trained_pipeline,
                                                     tmp_path):
  import tf_keras  # pylint: disable=g-import-not-at-top

  class Subclassed(tf_keras.Model):

    def __init__(self):
      super().__init__()
      self.dense = tf_keras.layers.Dense(10, activation="softmax")

    def call(self, inputs):
      return self.dense(inputs)

  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  model = Subclassed()
  model(tf.zeros((1, 64)))
  model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
  model.save(str(tmp_path / "model" / "Format-Serving"), save_format="tf")
  with pytest.raises(errors.UnsupportedModelError, match="subclassed"):
    harness.run("Pruner", {"model": model_artifact(str(tmp_path / "model")),
                           "examples": trained_pipeline.examples},
                str(tmp_path / "out"), FAST_PRUNE)
  assert harness.nothing_published(str(tmp_path / "out"))


def test_dict_output_model_keeps_its_output_names(trained_pipeline,
                                                  tmp_path):
  import tf_keras  # pylint: disable=g-import-not-at-top
  image = tf_keras.Input((64,), name="image")
  hidden = tf_keras.layers.Dense(8, activation="relu")(image)
  model = tf_keras.Model(image, {
      "probabilities": tf_keras.layers.Dense(10, activation="softmax",
                                             name="probabilities")(hidden),
      "embedding": tf_keras.layers.Dense(4, name="embedding")(hidden)})
  model.save(str(tmp_path / "model" / "Format-Serving"), save_format="tf")
  out = harness.run("LiteConverter", {"model": model_artifact(
      str(tmp_path / "model")), "examples": trained_pipeline.examples},
                    str(tmp_path / "out"), LiteConverterConfig())
  summary = harness.report(out["tflite_model"])["summary"]
  assert summary["output_names"] == ["embedding", "probabilities"]


# -- Data: corrupt files, misshaped features, labels, missing features. --

def _with_eval_split(trained_pipeline, tmp_path, eval_records=None,
                     raw=None):
  return hostile.examples_artifact(
      str(tmp_path / "examples"),
      {"train": hostile.records(trained_pipeline.examples, "train"),
       "eval": eval_records if eval_records is not None else []},
      raw_files=raw)


@pytest.mark.parametrize("make, component, error, words", [
    (lambda good: {"raw": {"eval": hostile.garbage_gzip()}}, "LiteConverter",
     errors.DataError, r"is corrupt or truncated after record 0"),
    (lambda good: {"raw": {"eval": hostile.truncated_gzip(good)}},
     "LiteConverter", errors.DataError, r"is corrupt or truncated after record"),
    # Fine-tuning names the split and the file, not TF's op.
    (lambda good: {"raw": {"eval": hostile.garbage_gzip()}}, "Pruner",
     errors.DataError, r"^split 'eval' file .*/Split-eval/data.tfrecord.gz is "
     r"corrupt or truncated after record 0 \(corrupted record at 0 .*\); "
     r"re-create it"),
    (lambda good: {"raw": {"eval": hostile.truncated_gzip(good)}},
     "QuantizationAwareTrainer", errors.DataError,
     r"^split 'eval' file .*/Split-eval/data.tfrecord.gz is corrupt or "
     r"truncated after record \d+ \(truncated record at \d+"),
    (lambda good: {"eval_records": good[:5] + [
        hostile.edit(good[5], image=[0.5] * 63)] + good[6:]},
     "LiteConverter", errors.InputMismatchError,
     r"feature 'image' has 63 value\(s\) in record 5 of split 'eval'.*"
     r"float32\[64\] = 64 value\(s\)"),
    (lambda good: {"eval_records": good[:3] + [
        hostile.edit(good[3], label=[12])] + good[4:]},
     "Pruner", errors.DataError,
     r"label 'label' is 12 in record 3 of split 'eval' .*multiclass model "
     r".*allowed labels are class indices 0\.\.9"),
    (lambda good: {"eval_records": []}, "Pruner",
     errors.InsufficientExamplesError, r"split 'eval' .* holds no examples"),
])
def test_bad_data_is_named_and_nothing_is_published(
    trained_pipeline, tmp_path, make, component, error, words):
  good = hostile.records(trained_pipeline.examples, "eval")
  made = make(good)
  examples = _with_eval_split(trained_pipeline, tmp_path,
                              made.get("eval_records"), made.get("raw"))
  config = {"LiteConverter": LiteConverterConfig(),
            "QuantizationAwareTrainer": QatConfig()}.get(component, FAST_PRUNE)
  with pytest.raises(error, match=words):
    harness.run(component, {"model": trained_pipeline.model,
                            "examples": examples},
                str(tmp_path / "out"), config)
  assert harness.nothing_published(str(tmp_path / "out"))


@pytest.fixture(scope="module")
def float_candidate(trained_pipeline, tmp_path_factory):
  return harness.run("LiteConverter", {"model": trained_pipeline.model},
                     str(tmp_path_factory.mktemp("candidate")),
                     LiteConverterConfig())["tflite_model"]


def test_label_outside_the_classes_is_not_blessed(trained_pipeline,
                                                  float_candidate, tmp_path):
  good = hostile.records(trained_pipeline.examples, "eval")
  examples = _with_eval_split(trained_pipeline, tmp_path,
                              [hostile.edit(good[0], label=[10])] + good[1:])
  out = harness.run("CompressionEvaluator",
                    {"examples": examples, "model": float_candidate,
                     "baseline_model": trained_pipeline.model},
                    str(tmp_path / "eval"), FAST_EVAL)
  _assert_not_blessed(out, "label 'label' is 10 in record 0")


def test_a_corrupt_eval_split_is_not_blessed_naming_the_file(
    trained_pipeline, float_candidate, tmp_path):
  good = hostile.records(trained_pipeline.examples, "eval")
  examples = _with_eval_split(trained_pipeline, tmp_path,
                              raw={"eval": hostile.truncated_gzip(good)})
  out = harness.run("CompressionEvaluator",
                    {"examples": examples, "model": float_candidate,
                     "baseline_model": trained_pipeline.model},
                    str(tmp_path / "eval"), FAST_EVAL)
  _assert_not_blessed(out, f"split 'eval' file {examples.uri}/Split-eval/"
                      "data.tfrecord.gz is corrupt or truncated after record")


def test_default_filled_feature_is_not_blessed(trained_pipeline, tmp_path):
  # A random candidate and a baseline whose serving_default fills a missing
  # 'image' with zeros: on records without images both see only defaults.
  baseline = hostile.serving_with_default(
      small_cnn(), str(tmp_path / "baseline" / "Format-Serving"))
  candidate = harness.run(
      "LiteConverter", {"model": model_artifact(os.path.dirname(baseline))},
      str(tmp_path / "candidate"), LiteConverterConfig())["tflite_model"]
  good = hostile.records(trained_pipeline.examples, "eval")
  eval_records = [hostile.edit(r, image=None) if i % 10 else r
                  for i, r in enumerate(good)]
  examples = _with_eval_split(trained_pipeline, tmp_path, eval_records)
  out = harness.run("CompressionEvaluator",
                    {"examples": examples, "model": candidate,
                     "baseline_model": model_artifact(
                         os.path.dirname(baseline))},
                    str(tmp_path / "eval"), FAST_EVAL)
  _assert_not_blessed(out, "feature 'image', which the baseline model reads, "
                      "is missing from")
  assert "fill them with its default value" in harness.report(
      out["evaluation"])["error"]
