"""Executor-level tests: the Pruner on the session's real Trainer output."""

import hashlib
import json
import os

import numpy as np
import pytest

import executor_harness
import serving_checks
from model_factories import model_artifact
from model_factories import save_keras
from model_factories import small_cnn
from tfx_compression.framework import spec_channels
from tfx_compression.framework import artifact_io
from tfx_compression.framework import properties
from tfx_compression.errors import CompressionConfigError
from tfx_compression.errors import InputMismatchError
from tfx_compression.errors import UnsupportedModelError
from tfx_compression.fine_tuning import spec as tuning_spec
from tfx_compression.fine_tuning.config import FineTuning
from tfx_compression.fine_tuning.config import LayerSelection
from tfx_compression.lite_converter import spec as lite_spec
from tfx_compression.lite_converter.config import LiteConverterConfig
from tfx_compression.pruner import spec
from tfx_compression.pruner.config import PolynomialDecay
from tfx_compression.pruner.config import PrunerConfig

HERE = os.path.dirname(os.path.abspath(__file__))
TUNING = FineTuning(epochs=4)
SELECT = LayerSelection(keep_first_and_last=True)


def _run(examples, model, out_dir, config):
  """(pruned model, model run) as the Pruner publishes them."""
  outputs = executor_harness.run(
      "Pruner", {spec_channels.EXAMPLES_KEY: examples,
                 spec_channels.MODEL_KEY: model}, out_dir, config)
  return outputs[spec.PRUNED_MODEL_KEY], outputs[tuning_spec.MODEL_RUN_KEY]


def _digest(path):
  h = hashlib.sha256()
  for root, _, files in sorted(os.walk(path)):
    for name in sorted(files):
      h.update(name.encode())
      h.update(open(os.path.join(root, name), "rb").read())
  return h.hexdigest()


@pytest.fixture(scope="module")
def pruned80(trained_pipeline, tmp_path_factory):
  """Polynomial 0.5 -> 0.8 (the seeds' schedule), first/last layers dense."""
  source = artifact_io.serving_dir(trained_pipeline.model.uri)
  before = _digest(source)
  pruned, run = _run(trained_pipeline.examples, trained_pipeline.model,
                     str(tmp_path_factory.mktemp("pruned80")),
                     PrunerConfig(schedule=PolynomialDecay(0.5, 0.8, frequency=10),
                                  selection=SELECT, fine_tuning=TUNING))
  return pruned, run, before == _digest(source)


def test_selected_layers_reach_target_sparsity(pruned80):
  report = executor_harness.report(pruned80[0])
  layers = {l["name"]: l for l in report["layers"]}
  assert sorted(n for n, l in layers.items() if l["pruned"]) == ["conv2", "dense1"]
  for name in ("conv2", "dense1"):
    assert abs(layers[name]["sparsity"] - 0.8) <= 0.01, layers[name]
  assert report["skipped_layers"]["conv1"].startswith("kept dense")
  assert pruned80[0].get_custom_property(
      properties.PRUNED_LAYERS_SPARSITY) == pytest.approx(0.8, abs=0.01)


def test_unselected_layers_are_bit_identical(pruned80, keras_model):
  from tfx_compression.lib.keras import saved_model_io  # pylint: disable=g-import-not-at-top
  pruned = saved_model_io.load_keras_model(
      artifact_io.serving_dir(pruned80[0].uri))
  for name in ("conv1", "probabilities"):
    for a, b in zip(keras_model.get_layer(name).get_weights(),
                    pruned.get_layer(name).get_weights()):
      np.testing.assert_array_equal(a, b)
  assert not np.array_equal(keras_model.get_layer("dense1").get_weights()[0],
                            pruned.get_layer("dense1").get_weights()[0])


def test_serving_signature_is_kept_and_matches_keras(pruned80, trained_pipeline,
                                                     eval_inputs):
  serving_checks.assert_serves_like_keras(
      pruned80[0].uri, trained_pipeline.examples, eval_inputs, 0.9)


def test_baseline_artifact_is_not_modified(pruned80):
  assert pruned80[2], "the Trainer's model files changed"


def test_report_model_run_and_properties(pruned80):
  pruned, run, _ = pruned80
  report = executor_harness.report(pruned)
  assert report["eval_before"]["accuracy"] > 0.9
  assert report["eval_after"]["accuracy"] > report["eval_before"]["accuracy"] - 0.05
  assert report["weights_gzip_bytes_after"] < 0.6 * report["weights_gzip_bytes_before"]
  assert report["fine_tuning"]["end_step"] % 10 == 0
  history = json.load(open(os.path.join(run.uri, tuning_spec.HISTORY_FILE)))
  assert len(history["loss"]) == TUNING.epochs
  events = [f for _, _, fs in os.walk(run.uri) for f in fs if "tfevents" in f]
  assert events, "PruningSummaries wrote no TensorBoard events"
  assert pruned.get_custom_property("eval_accuracy") == report["eval_after"]["accuracy"]
  # Distilled by default, and recorded like every fine-tuned output.
  assert report["distillation"]["enabled"]
  assert json.loads(pruned.get_custom_property(properties.DISTILLATION)) == (
      report["distillation"])
  assert report["fine_tuning_seconds"] > 0
  assert not pruned.has_custom_property(properties.TRUSTED_MODEL_CODE)


def test_output_feeds_lite_converter(pruned80, trained_pipeline, tmp_path):
  out = executor_harness.run(
      "LiteConverter", {spec_channels.MODEL_KEY: pruned80[0],
                        spec_channels.EXAMPLES_KEY: trained_pipeline.examples},
      str(tmp_path), LiteConverterConfig())[lite_spec.TFLITE_MODEL_KEY]
  assert out.get_custom_property(properties.VALIDATION_ARGMAX_AGREEMENT) == 1.0


def test_two_four_sparsity_with_user_input_fn(trained_pipeline, tmp_path):
  config = PrunerConfig(
      granularity="m_by_n", selection=SELECT,
      fine_tuning=FineTuning(epochs=2, steps_per_epoch=20),
      module_file=os.path.join(HERE, "user_input_fn.py"), input_fn="input_fn")
  pruned, _ = _run(trained_pipeline.examples, trained_pipeline.model,
                   str(tmp_path), config)
  report = executor_harness.report(pruned)
  assert report["data"] == "input_fn"
  assert report["m_by_n_violations"] == {"conv2": 0, "dense1": 0}
  layers = {l["name"]: l for l in report["layers"]}
  assert layers["dense1"]["sparsity"] == 0.5 and layers["conv2"]["sparsity"] == 0.5


def _assert_empty(out_dir):
  assert executor_harness.nothing_published(out_dir)


def test_missing_label_key(trained_pipeline, tmp_path):
  config = PrunerConfig(fine_tuning=FineTuning(label_key="digit"))
  with pytest.raises(InputMismatchError,
                     match=r"label_key 'digit' is not a feature .*\['image', 'label'\]"):
    _run(trained_pipeline.examples, trained_pipeline.model, str(tmp_path), config)
  _assert_empty(str(tmp_path))


def test_model_input_missing_from_examples(trained_pipeline, tmp_path):
  model = small_cnn(input_name="pixels")
  model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
  save_keras(model, str(tmp_path / "src" / "Format-Serving"))
  with pytest.raises(InputMismatchError,
                     match=r"Model input\(s\) \['pixels'\] are not features "
                     r"of .*\['image', 'label'\]"):
    _run(trained_pipeline.examples, model_artifact(str(tmp_path / "src")),
         str(tmp_path / "out"), PrunerConfig())
  _assert_empty(str(tmp_path / "out"))


def test_model_fn_of_another_architecture_is_refused(trained_pipeline,
                                                    tmp_path):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  tf.saved_model.save(small_cnn(), str(tmp_path / "src" / "Format-Serving"))
  with pytest.raises(UnsupportedModelError,
                     match="does not match the variables saved"):
    _run(trained_pipeline.examples, model_artifact(str(tmp_path / "src")),
         str(tmp_path / "out"),
         PrunerConfig(model_fn="model_factories.wider_cnn"))
  _assert_empty(str(tmp_path / "out"))


def test_schedule_too_short_for_frequency(trained_pipeline, tmp_path):
  config = PrunerConfig(schedule=PolynomialDecay(frequency=100),
                        fine_tuning=FineTuning(epochs=1))  # 45 steps
  with pytest.raises(CompressionConfigError,
                     match="only one prune step .* Lower schedule.frequency"):
    _run(trained_pipeline.examples, trained_pipeline.model, str(tmp_path), config)
  _assert_empty(str(tmp_path))
