"""Compressing binary and regression models: every component takes them,
checks their labels by task and validates their outputs the task's way."""

import pytest

import executor_harness
from tfx_compression.framework import spec_channels
from tfx_compression.framework import properties
from tfx_compression.errors import DataError
from tfx_compression.errors import ModelValidationError
from tfx_compression.fine_tuning import spec as tuning_spec
from tfx_compression.fine_tuning.config import FineTuning
from tfx_compression.lib.conversion import post_validation
from tfx_compression.lite_converter import spec as lite_spec
from tfx_compression.lite_converter.config import LiteConverterConfig
from tfx_compression.post_training_quantizer import spec as ptq_spec
from tfx_compression.post_training_quantizer.config import PostTrainingQuantizerConfig
from tfx_compression.pruner import spec as pruner_spec
from tfx_compression.pruner.config import PolynomialDecay
from tfx_compression.pruner.config import PrunerConfig
from tfx_compression.quantization_aware_trainer import spec as qat_spec
from tfx_compression.quantization_aware_trainer.config import QatConfig

TUNING = FineTuning(epochs=2, learning_rate_scale=0.2)


def _tuned(component, case, out, config, key):
  outputs = executor_harness.run(
      component, {spec_channels.EXAMPLES_KEY: case.examples,
                  spec_channels.MODEL_KEY: case.artifact}, str(out), config)
  return outputs[key], executor_harness.report(outputs[key])


def test_regression_model_is_pruned_with_its_own_loss_and_distilled_by_mse(
    regression, tmp_path):
  out, report = _tuned(
      "Pruner", regression, tmp_path,
      PrunerConfig(schedule=PolynomialDecay(0.3, 0.5, frequency=5),
                   fine_tuning=TUNING), pruner_spec.PRUNED_MODEL_KEY)
  assert report["task"]["task"] == "regression"
  assert out.get_string_custom_property(properties.TASK) == "regression"
  assert report["distillation"]["outputs"] == "values"
  # Compiled with its own MSE loss; reported with MAE, not 'accuracy'.
  assert "mean_absolute_error" in report["eval_after"]
  assert "accuracy" not in report["eval_after"]


def test_regression_model_qat_int8_is_validated_by_relative_error(
    regression, tmp_path):
  out, report = _tuned("QuantizationAwareTrainer", regression, tmp_path,
                       QatConfig(fine_tuning=TUNING), qat_spec.QAT_MODEL_KEY)
  validation = report["validation"]
  assert validation["task"] == "regression"
  assert validation["argmax_agreement"] is None
  # The int8 model reproduces the QAT model's simulated quantization: its
  # error is at most a few quantization steps, often exactly none.
  assert 0.0 <= validation["relative_error"] <= 0.1
  assert out.get_float_custom_property(
      properties.VALIDATION_RELATIVE_ERROR) == validation["relative_error"]
  accuracy = report["accuracy"]
  assert accuracy["metric"] == "mean_absolute_error"
  # The int8 model's error stays near the float model's (label scale ~10).
  assert accuracy["qat_tflite"] < accuracy["float_keras"] * 1.5 + 0.2


def test_regression_model_converts_and_int8_quantizes(regression, tmp_path):
  lite = executor_harness.run(
      "LiteConverter", {spec_channels.MODEL_KEY: regression.artifact,
                        spec_channels.EXAMPLES_KEY: regression.examples},
      str(tmp_path / "lite"), LiteConverterConfig())[lite_spec.TFLITE_MODEL_KEY]
  report = executor_harness.report(lite)
  assert report["validation"]["relative_error"] < 1e-4
  quantized = executor_harness.run(
      "PostTrainingQuantizer", {spec_channels.MODEL_KEY: regression.artifact,
                                spec_channels.EXAMPLES_KEY: regression.examples},
      str(tmp_path / "ptq"), PostTrainingQuantizerConfig(
          mode="int8", num_calibration_examples=100))[
              ptq_spec.QUANTIZED_MODEL_KEY]
  report = executor_harness.report(quantized)
  assert report["validation"]["task"] == "regression"
  assert 0.0 < report["validation"]["relative_error"] <= 0.1


def test_binary_model_fine_tunes_with_binary_accuracy(sigmoid, tmp_path):
  out, report = _tuned(
      "Pruner", sigmoid, tmp_path,
      PrunerConfig(schedule=PolynomialDecay(0.3, 0.5, frequency=5),
                   fine_tuning=TUNING), pruner_spec.PRUNED_MODEL_KEY)
  assert report["task"]["task"] == "binary"
  assert report["eval_after"]["accuracy"] > 0.75
  assert out.get_string_custom_property(properties.TASK) == "binary"


def test_a_binary_model_refuses_labels_outside_0_and_1(sigmoid, tmp_path):
  """A binary model trained on labels 0/1 refuses a split labelled 0..4."""
  import reliability_inputs  # pylint: disable=g-import-not-at-top
  records = reliability_inputs.records(sigmoid.examples, "train")[:50]
  bad = [reliability_inputs.edit(r, label=[4]) for r in records[:3]] + records
  examples = reliability_inputs.examples_artifact(
      str(tmp_path / "examples"), {"train": bad, "eval": records})
  with pytest.raises(DataError, match=r"label 'label' is 4 in record 0 .* "
                     r"binary model .* class indices 0..1"):
    executor_harness.run(
        "Pruner", {spec_channels.EXAMPLES_KEY: examples,
                   spec_channels.MODEL_KEY: sigmoid.artifact},
        str(tmp_path / "out"), PrunerConfig(fine_tuning=TUNING))


def test_validation_compares_each_task_its_own_way():
  import numpy as np  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.evaluation import task as task_lib  # pylint: disable=g-import-not-at-top
  expected = np.array([[0.2], [0.6], [0.9], [0.4]], np.float32)
  flipped = 1.0 - expected
  binary = task_lib.infer(1, activation="sigmoid")
  agreement = post_validation.compare_outputs({"p": expected}, {"p": flipped},
                                              4, binary)
  assert (agreement.argmax_agreement, agreement.task) == (0.0, "binary")
  values = np.array([[1.0], [2.0], [3.0], [4.0]], np.float32)
  regression = task_lib.infer(1, loss="mse")
  close = post_validation.compare_outputs({"y": values}, {"y": values + 0.05},
                                          4, regression)
  assert close.argmax_agreement is None
  assert close.relative_error == pytest.approx(0.05 / 1.0)
  from tfx_compression.lib.conversion import validated_conversion  # pylint: disable=g-import-not-at-top
  far = post_validation.compare_outputs({"y": values}, {"y": values + 0.5},
                                        4, regression)
  with pytest.raises(ModelValidationError, match=r"differ from the Keras "
                     r"model's by 0.500 of their spread"):
    validated_conversion.check_relative_error(far, "the Keras model")


def test_model_fn_is_called_with_the_plans_keyword_arguments(regression,
                                                             tmp_path):
  """A builder taking arguments (like taxi's _build_keras_model) needs no
  wrapper: model_fn_kwargs passes what the Trainer passed."""
  import os  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  import task_models  # pylint: disable=g-import-not-at-top
  from model_factories import model_artifact  # pylint: disable=g-import-not-at-top
  from tfx_compression.errors import UnsupportedModelError  # pylint: disable=g-import-not-at-top
  from tfx_compression.pipelines.compression import CompressionPlan  # pylint: disable=g-import-not-at-top
  uri = str(tmp_path / "saved")
  model = regression.model
  spec = {n: tf.io.FixedLenFeature([1], tf.float32)
          for n in task_models.FEATURES}
  serve = tf.function(lambda s: {"score": model(tf.io.parse_example(s, spec))},
                      input_signature=[tf.TensorSpec([None], tf.string)])
  tf.saved_model.save(model, os.path.join(uri, "Format-Serving"),
                      signatures={"serving_default": serve})
  plan = CompressionPlan(model_fn="task_models.build",
                         model_fn_kwargs={"kind": "regression"})
  config = PrunerConfig(schedule=PolynomialDecay(0.3, 0.5, frequency=5),
                        fine_tuning=FineTuning(epochs=1))
  with pytest.raises(UnsupportedModelError,
                     match=r"failed when called with no arguments \(set "
                     r"model_fn_kwargs"):
    executor_harness.run(
        "Pruner", {spec_channels.EXAMPLES_KEY: regression.examples,
                   spec_channels.MODEL_KEY: model_artifact(uri)},
        str(tmp_path / "bare"),
        PrunerConfig(model_fn="task_models.build"))
  # With the plan's arguments the model is rebuilt and reproduces the
  # artifact (the whole Pruner run with them: test_taxi_e2e.py).
  from tfx_compression.framework import user_code  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.conversion import model_loading  # pylint: disable=g-import-not-at-top
  tuned = plan.fine_tuning_config(config)
  assert tuned.model_fn_kwargs == {"kind": "regression"}
  loaded = model_loading.load_for_training(
      os.path.join(uri, "Format-Serving"), "Pruner", tuned.model_fn, None,
      model_fn_kwargs=tuned.model_fn_kwargs, load_fn=user_code.load_fn)
  assert loaded.rebuilt_by_model_fn
  inputs = task_models.as_inputs(task_models.rows(8, 2, "regression")[0])
  np_diff = abs(loaded.keras_model.predict(inputs, verbose=0) -
                model.predict(inputs, verbose=0)).max()
  assert np_diff < 1e-5
  with pytest.raises(Exception, match="model_fn_kwargs is passed to model_fn"):
    CompressionPlan(model_fn_kwargs={"kind": "regression"})
