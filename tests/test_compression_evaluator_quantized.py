"""Executor-level tests: CompressionEvaluator on quantized candidates.

A PostTrainingQuantizer int8 output (its per-layer error in the report and
the rendered page) and int8-I/O TFLite models (inputs quantized, outputs
dequantized as the model's own parameters say).
"""

import os

import pytest

import executor_harness
from evaluator_runs import evaluate
from evaluator_runs import FAST
from evaluator_runs import fresh_model
from evaluator_runs import overall
from model_factories import tflite_model_artifact
from tfx_compression.framework import spec_channels
from tfx_compression.compression_evaluator import spec
from tfx_compression.compression_evaluator.config import CompressionEvaluatorConfig
from tfx_compression.post_training_quantizer import spec as ptq_spec
from tfx_compression.post_training_quantizer.config import PostTrainingQuantizerConfig


@pytest.fixture(scope="module")
def ptq_run(trained_pipeline, tmp_path_factory):
  """A PostTrainingQuantizer int8 candidate (dense layers kept float), evaluated.

  The evaluator runs as `CompressionEvaluator.ptq_int8`, as add_compression
  names it.
  """
  # pylint: disable=g-import-not-at-top
  from tfx.dsl.components.base import base_beam_executor
  from tfx.proto.orchestration import pipeline_pb2
  workdir = tmp_path_factory.mktemp("ptq")
  quantized = executor_harness.run(
      "PostTrainingQuantizer",
      {spec_channels.MODEL_KEY: trained_pipeline.model,
       spec_channels.EXAMPLES_KEY: trained_pipeline.examples},
      str(workdir / "ptq"), PostTrainingQuantizerConfig(
          mode="int8", num_calibration_examples=100,
          num_validation_examples=100, num_debug_examples=20,
          float_ops=("FULLY_CONNECTED",)))[ptq_spec.QUANTIZED_MODEL_KEY]
  node = pipeline_pb2.PipelineNode()
  node.node_info.id = "CompressionEvaluator.ptq_int8"
  return evaluate(
      trained_pipeline, quantized, str(workdir / "ptq_evaluation"),
      CompressionEvaluatorConfig(benchmark=FAST),
      context=base_beam_executor.BaseBeamExecutor.Context(pipeline_node=node))


def test_quantizer_candidate_shows_its_per_layer_error(ptq_run, tmp_path):
  import html_dom  # pylint: disable=g-import-not-at-top
  report = ptq_run.report
  assert report["error"] is None and report["variant"] == "ptq_int8"
  layers = report["quantizer_layers"]
  assert layers["file"].endswith(ptq_spec.LAYER_ERRORS_CSV)
  assert 3 <= len(layers["top"]) <= layers["tensors"]
  errors = [r["rmse_over_scale"] for r in layers["top"]]
  assert errors == sorted(errors, reverse=True) and errors[0] > 0
  assert layers["kept_float"] and {
      r["op_name"] for r in layers["kept_float"]} == {"FULLY_CONNECTED"}
  assert all("float_ops" in r["reason"] for r in layers["kept_float"])
  assert 0 <= layers["relative_output_error"] < 1
  page = open(os.path.join(ptq_run.evaluation.uri,
                           spec.REPORT_HTML_FILE)).read()
  assert "<h1>ptq_int8: CompressionEvaluator report</h1>" in page
  assert "Kept float: FULLY_CONNECTED: " in page
  assert f"{layers['relative_output_error']:.4g} as published." in page
  # The real page, as a browser shows it: every plot titled, axes labelled.
  rendered = html_dom.render(page, str(tmp_path))
  titles = [texts[0] if texts else "" for texts in rendered.svgs]
  assert len(rendered.svgs) == rendered.figures >= 9
  for title, x_label in (
      ("Per-layer quantization error",
       "RMSE in quantization steps (RMSE / scale)"),
      ("Candidate confusion matrix", "predicted class"),
      ("Model size", "form of the model file")):
    (texts,) = [t for t in rendered.svgs if title in t]
    assert x_label in texts
  assert any(t.startswith("Latency at batch 1") for s in rendered.svgs
             for t in s), titles


def test_int8_io_tflite_is_evaluated_like_its_float_io_export(
    trained_pipeline, eval_inputs, tmp_path):
  from tfx_compression.lib.quantization import ptq_convert  # pylint: disable=g-import-not-at-top
  inputs, _ = eval_inputs
  calibration = {"image": inputs["image"][:100]}
  runs = {}
  for io_type in ("int8", "float32"):
    data = ptq_convert.quantize(fresh_model(trained_pipeline), "int8",
                                 io_type, calibration).model_bytes
    runs[io_type] = evaluate(trained_pipeline,
                             tflite_model_artifact(str(tmp_path / io_type),
                                                   data),
                             str(tmp_path / f"{io_type}_eval"),
                             CompressionEvaluatorConfig(benchmark=FAST))
  int8, float_io = runs["int8"], runs["float32"]
  assert int8.report["candidate"]["input_dtypes"] == {"image": "int8"}
  assert float_io.report["candidate"]["input_dtypes"] == {"image": "float32"}
  assert int8.report["verdict"] == "BLESSED", int8.report["checks"]
  # Inputs quantized with the model's own scale and zero point (rounded and
  # clipped), outputs dequantized: the same accuracy as the float-I/O export.
  accuracy = {k: overall(r.report)["candidate"] for k, r in runs.items()}
  assert accuracy["int8"] > 0.9
  assert abs(accuracy["int8"] - accuracy["float32"]) <= 0.005
