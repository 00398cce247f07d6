"""Executor-level tests: QuantizationAwareTrainer on the session's real Trainer output."""

import json
import os

import numpy as np
import pytest

import executor_harness
from tfx_compression.framework import spec_channels
from tfx_compression.framework import artifact_io
from tfx_compression.framework import properties
from tfx_compression.fine_tuning import spec as tuning_spec
from tfx_compression.fine_tuning.config import FineTuning
from tfx_compression.lib.quantization import qat
from tfx_compression.lib.tflite import inspection
from tfx_compression.pruner import spec as pruner_spec
from tfx_compression.pruner.config import PolynomialDecay
from tfx_compression.pruner.config import PrunerConfig
from tfx_compression.quantization_aware_trainer import spec
from tfx_compression.quantization_aware_trainer.config import QatConfig

TUNING = FineTuning(epochs=4, learning_rate_scale=0.1)


def _run(examples, model, out_dir, config):
  """(QAT model, its report, model run) as the trainer publishes them."""
  outputs = executor_harness.run(
      "QuantizationAwareTrainer", {spec_channels.EXAMPLES_KEY: examples,
                                   spec_channels.MODEL_KEY: model},
      out_dir, config)
  out = outputs[spec.QAT_MODEL_KEY]
  return out, executor_harness.report(out), outputs[tuning_spec.MODEL_RUN_KEY]


@pytest.fixture(scope="module")
def qat_default(trained_pipeline, tmp_path_factory):
  return _run(trained_pipeline.examples, trained_pipeline.model,
              str(tmp_path_factory.mktemp("qat")),
              QatConfig(fine_tuning=TUNING))


def test_qat_int8_has_int8_kernels_and_keeps_accuracy(qat_default):
  out, report, _ = qat_default
  assert report["scheme"] == "default_8bit"  # auto: the input is dense
  assert report["quantized_layers"][:2] == ["to_image", "conv1"]
  data = open(artifact_io.tflite_path(out.uri), "rb").read()
  # conv1, conv2, dense1, probabilities
  assert len(inspection.int8_kernels(data)) == 4
  assert report["summary"]["input_dtypes"] == {"image": "float32"}
  # Same output name as the Trainer's model: evaluators find 'probabilities'.
  assert report["summary"]["output_names"] == ["probabilities"]
  accuracy = report["accuracy"]
  print("float %.4f, QAT int8 TFLite %.4f on %d examples" % (
      accuracy["float_keras"], accuracy["qat_tflite"], accuracy["examples"]))
  assert accuracy["qat_tflite"] >= accuracy["float_keras"] - 0.005
  assert out.get_custom_property(properties.TFLITE_ACCURACY) == accuracy["qat_tflite"]
  # The fine-tuning choices are recorded, as on every fine-tuned output.
  assert json.loads(out.get_custom_property(properties.DISTILLATION)) == (
      report["distillation"])
  assert report["distillation"]["enabled"]
  assert out.get_custom_property(properties.QAT_RANGE_INIT) == (
      properties.RANGES_CALIBRATED)
  assert report["range_calibration"] is not None
  assert report["fine_tuning_seconds"] > 0


def test_qat_saved_model_reloads_in_quantize_scope(qat_default, eval_inputs):
  out, _, run = qat_default
  model = qat.load_qat_model(os.path.join(out.uri, spec.KERAS_QAT_DIR))
  predictions = model.predict(eval_inputs[0], verbose=0)
  assert np.mean(np.argmax(predictions, 1) == eval_inputs[1]) > 0.9
  assert os.path.isfile(os.path.join(run.uri, tuning_spec.HISTORY_FILE))


@pytest.fixture(scope="module")
def pruned_model(trained_pipeline, tmp_path_factory):
  config = PrunerConfig(schedule=PolynomialDecay(0.5, 0.8, frequency=10),
                        fine_tuning=FineTuning(epochs=3))
  return executor_harness.run(
      "Pruner", {spec_channels.EXAMPLES_KEY: trained_pipeline.examples,
                 spec_channels.MODEL_KEY: trained_pipeline.model},
      str(tmp_path_factory.mktemp("pruned")), config)[
          pruner_spec.PRUNED_MODEL_KEY]


def test_prune_preserving_qat_keeps_sparsity_plain_qat_loses_it(
    pruned_model, trained_pipeline, tmp_path):
  _, preserved, _ = _run(trained_pipeline.examples, pruned_model,
                         str(tmp_path / "pqat"),
                         QatConfig(fine_tuning=TUNING, io_type="int8"))
  _, plain, _ = _run(trained_pipeline.examples, pruned_model,
                     str(tmp_path / "qat"),
                     QatConfig(scheme="default_8bit", fine_tuning=TUNING))
  print("input sparsity %.4f; int8 kernels: prune-preserving %.4f, plain %.4f"
        % (preserved["input_kernel_sparsity"],
           preserved["int8_kernel_sparsity"], plain["int8_kernel_sparsity"]))
  assert preserved["scheme"] == "prune_preserve"  # auto: the input is sparse
  assert preserved["input_kernel_sparsity"] == pytest.approx(0.8, abs=0.01)
  assert abs(preserved["int8_kernel_sparsity"] -
             preserved["input_kernel_sparsity"]) <= 0.02
  assert plain["int8_kernel_sparsity"] < preserved["input_kernel_sparsity"] - 0.1
  # int8 I/O: inputs were quantized with rounding for validation.
  assert preserved["summary"]["input_dtypes"] == {"image": "int8"}
  assert preserved["accuracy"]["qat_tflite"] > 0.9
