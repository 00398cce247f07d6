"""The accuracy-budget search: its algorithm, and real searches on both backends."""

import csv
import io
import json

import numpy as np
import pytest

from test_quantization_debug import _outlier_model
from tfx_compression.errors import CompressionConfigError
from tfx_compression.lib.options.quantization import Precision
from tfx_compression.lib.quantization import budget_search
from tfx_compression.lib.quantization import ptq
from tfx_compression.lib.tflite import inference
from tfx_compression.post_training_quantizer.config import PostTrainingQuantizerConfig


# --- The algorithm, on configurations whose metric is known exactly. ---

class _Judge:
  """Metric of a fake model: 0.80, plus 0.05 per culprit unit not int8."""

  name = "accuracy"
  reference = 0.95

  def __init__(self, culprits):
    self.culprits = set(culprits)

  def metric(self, model: bytes) -> float:
    assignment = json.loads(model.decode())
    return 0.80 + 0.05 * len(self.culprits & set(assignment))


def _units(n):
  # u00 is the most sensitive; sizes grow with every promoted unit.
  return [budget_search.Unit(f"u{i:02d}", (f"t{i}",), float(n - i))
          for i in range(n)]


def _build(assignment):
  return json.dumps(assignment, sort_keys=True).encode() + b" " * (
      10 * len(assignment))


def _search(culprits, n=12, **kwargs):
  return budget_search.search(_units(n), _build, _Judge(culprits),
                              kwargs.pop("budget", 0.0), **kwargs)


def test_int8_that_meets_the_budget_is_the_answer():
  result = _search([], budget=0.2)
  assert [s.name for s in result.steps] == ["int8"]
  assert result.budget_met and result.chosen.name == "int8"


def test_bisection_finds_the_fewest_sensitive_units_to_keep_float():
  result = _search(["u00", "u01", "u02"])
  assert result.budget_met
  assert result.chosen.assignment == {f"u0{i}": "float32" for i in range(3)}
  # int8, all 12 float, then log2(12) bisection steps: 12 -> 6 -> 3 -> 1 -> 2.
  assert [s.name for s in result.steps] == [
      "int8", "float32 x12", "float32 x6", "float32 x3", "float32 x1",
      "float32 x2"]
  assert [s.meets_budget for s in result.steps] == [
      False, True, True, True, False, False]
  assert result.chosen.float_units == 3


def test_conversions_are_bounded_and_the_result_is_never_worse_than_int8():
  result = _search(["u00", "u01", "u02"], max_conversions=3)
  assert len(result.steps) == 3
  assert result.chosen.name == "float32 x6"  # the smallest meeting in 3
  missed = _search(["u00", "u11"], max_float_units=1)  # u11: least sensitive
  assert not missed.budget_met
  assert [s.name for s in missed.steps] == ["int8", "float32 x1"]
  assert missed.chosen.metric >= missed.steps[0].metric
  assert missed.chosen.name == "float32 x1" and "none of 2" in missed.reason


def test_no_float_layers_allowed_keeps_int8():
  result = _search(["u00"], max_float_units=0)
  assert [s.name for s in result.steps] == ["int8"]
  assert not result.budget_met and result.chosen.name == "int8"


def test_levels_and_whole_model_alternatives_are_tried_cheapest_first():
  # int16x8 on a culprit counts as well as float32 here (assignment keys).
  result = _search(["u00"], budget=0.1,
                   levels=(Precision.INT16X8, Precision.FLOAT32),
                   whole_model=[("float16 (whole model)",
                                 lambda: _build({"u00": "f16", "x": 1, "y": 2,
                                                 "z": 3, "w": 4}))])
  names = [s.name for s in result.steps]
  assert names[:3] == ["int8", "float16 (whole model)", "int16x8 x12"]
  assert result.chosen.assignment == {"u00": "int16x8"}
  assert result.chosen.float_units == 0


def test_a_configuration_that_cannot_be_made_is_a_failed_step():
  def build(assignment):
    if len(assignment) == 6:
      raise RuntimeError("Quantization to 16x8-bit not yet supported for op")
    return _build(assignment)
  result = budget_search.search(_units(12), build, _Judge(["u00"]), 0.1)
  failed = [s for s in result.steps if s.error]
  assert [s.name for s in failed] == ["float32 x6"]
  assert failed[0].metric is None and not failed[0].meets_budget
  assert "16x8-bit not yet supported" in failed[0].error
  # A failed step counts as a miss: the bisection goes on above it.
  assert result.budget_met and result.chosen.name == "float32 x7"
  def no_int8(assignment):
    raise RuntimeError("the converter failed")
  with pytest.raises(RuntimeError):  # Nothing stands in for full int8.
    budget_search.search(_units(2), no_int8, _Judge([]), 0.1)


def test_trace_csv_has_a_row_per_step_and_marks_the_choice():
  result = _search(["u00", "u01", "u02"])
  rows = list(csv.DictReader(io.StringIO(budget_search.trace_csv(result))))
  assert len(rows) == len(result.steps)
  assert [r["chosen"] for r in rows].count("True") == 1
  assert json.loads(rows[result.chosen.index]["assignment"]) == \
      result.chosen.assignment


# --- Real searches: one layer int8 cannot hold (see _outlier_model). ---

@pytest.fixture(scope="module")
def outlier():
  model, calibration = _outlier_model()
  values = np.random.default_rng(1).uniform(size=(200, 16)).astype(np.float32)
  values[:, 0] = 0.0
  return model, calibration, {"x": values}


@pytest.fixture(scope="module")
def tflite_search(outlier):
  model, calibration, validation = outlier
  return [ptq.post_training_quantize(
      model, "int8", "float32", calibration, validation,
      search=ptq.BudgetSearch(budget=0.01)) for _ in range(2)]


def test_tflite_search_meets_the_budget_plain_int8_misses(tflite_search,
                                                          outlier):
  result = tflite_search[0]
  search = result.search
  assert search.backend == "tflite" and search.metric_name == \
      "agreement with float"
  int8 = search.steps[0]
  assert int8.name == "int8" and int8.drop > 0.2  # the outlier ruins int8
  assert search.budget_met and search.chosen.drop <= 0.01
  assert len(search.steps) <= 20
  # The published model is the chosen one, and does what the trace says.
  assert result.conversion.model_bytes == search.model_bytes
  model, _, validation = outlier
  (out,) = inference.predict(result.conversion.model_bytes,
                             validation).values()
  assert np.mean(np.argmax(out, 1) == np.argmax(model.predict(
      validation["x"], verbose=0), 1)) >= 0.99


def test_tflite_search_is_deterministic(tflite_search):
  first, second = tflite_search
  assert [(s.name, s.size_bytes, s.metric) for s in first.search.steps] == \
      [(s.name, s.size_bytes, s.metric) for s in second.search.steps]
  assert first.conversion.model_bytes == second.conversion.model_bytes


def test_ai_edge_search_keeps_the_outlier_layer_off_int8(outlier):
  model, calibration, validation = outlier
  result = ptq.post_training_quantize(
      model, "int8", "float32", calibration, validation,
      backend="ai_edge_quantizer", search=ptq.BudgetSearch(budget=0.01))
  search = result.search
  assert result.backend.value == search.backend == "ai_edge_quantizer"
  assert search.steps[0].drop > 0.2 and search.budget_met
  spiky = [k for k in search.chosen.assignment if "spiky" in k]
  assert spiky and search.chosen.assignment[spiky[0]] != "int8"
  assert result.conversion.summary.input_dtypes == {"x": "float32"}
  # The quantizer's own per-tensor comparison comes with the result.
  assert result.tensor_validation and {"tensor_name", "mse", "snr",
                                       "cosine_similarity"} <= set(
                                           result.tensor_validation[0])


def test_labels_make_the_metric_the_tasks_accuracy(outlier):
  model, calibration, validation = outlier
  labels = np.argmax(model.predict(validation["x"], verbose=0), 1)
  labels[:20] = (labels[:20] + 1) % 4  # the float model is 90 % right
  result = ptq.post_training_quantize(
      model, "int8", "float32", calibration, validation,
      search=ptq.BudgetSearch(budget=0.02, labels=labels,
                              max_conversions=3))
  assert result.search.metric_name == "accuracy"
  assert result.search.reference_metric == pytest.approx(0.9)


def test_int4_weights_are_smaller_than_int8_weights(keras_model, eval_inputs):
  inputs, _ = eval_inputs
  int8 = ptq.post_training_quantize(keras_model, "dynamic_range", "float32",
                                    None, inputs,
                                    backend="ai_edge_quantizer")
  int4 = ptq.post_training_quantize(keras_model, "int4_weights", "float32",
                                    None, inputs, min_argmax_agreement=0.9,
                                    backend="ai_edge_quantizer",
                                    block_size=32)
  assert int4.weight_bytes < 0.6 * int8.weight_bytes
  assert int4.conversion.agreement.argmax_agreement >= 0.9


@pytest.mark.parametrize("fields, message", [
    ({"accuracy_budget": 0.01, "mode": "float16"},
     "accuracy_budget searches from full int8 and needs mode 'int8'"),
    ({"accuracy_budget": 0.01, "validation_split": "train"},
     "validation_split 'train', which is also a calibration split"),
    ({"accuracy_budget": -0.1}, "accuracy_budget"),
    ({"mode": "int4_weights"}, "mode 'int4_weights' is not written by "
     "backend 'tflite'"),
    ({"mode": "float16", "backend": "ai_edge_quantizer"},
     "mode 'float16' is not written by backend 'ai_edge_quantizer'"),
    ({"block_size": 32}, "block_size 32 applies to mode 'int4_weights'"),
    ({"block_size": 48, "mode": "int4_weights",
      "backend": "ai_edge_quantizer"}, "block_size must be one of"),
    ({"float_ops": ["CONV_2D"], "backend": "ai_edge_quantizer"},
     "float_ops is not supported with backend 'ai_edge_quantizer'"),
    ({"backend": "litert"}, "backend"),
    ({"objective": "speed"}, "objective"),
    ({"max_search_conversions": 0}, "max_search_conversions"),
])
def test_config_names_the_field(fields, message):
  with pytest.raises(CompressionConfigError, match=message.replace(
      "(", r"\(").replace(")", r"\)").replace("[", r"\[")):
    PostTrainingQuantizerConfig(**fields)


def test_executor_publishes_the_search_and_its_trace(trained_pipeline,
                                                     tmp_path):
  import executor_harness  # pylint: disable=g-import-not-at-top
  from tfx_compression.framework import artifact_io  # pylint: disable=g-import-not-at-top
  from tfx_compression.framework import properties  # pylint: disable=g-import-not-at-top
  from tfx_compression.framework import spec_channels  # pylint: disable=g-import-not-at-top
  from tfx_compression.post_training_quantizer import spec  # pylint: disable=g-import-not-at-top
  outputs = executor_harness.run(
      "PostTrainingQuantizer",
      {spec_channels.MODEL_KEY: trained_pipeline.model,
       spec_channels.EXAMPLES_KEY: trained_pipeline.examples}, str(tmp_path),
      PostTrainingQuantizerConfig(
          backend="ai_edge_quantizer", accuracy_budget=0.02,
          label_key="label", num_calibration_examples=100,
          num_validation_examples=200, max_search_conversions=4))
  model = outputs[spec.QUANTIZED_MODEL_KEY]
  prop = model.get_custom_property
  assert prop(properties.QUANTIZATION_BACKEND) == "ai_edge_quantizer"
  report = artifact_io.read_json(f"{model.uri}/report.json")
  budget = report["accuracy_budget"]
  assert budget["metric_name"] == "accuracy" and budget["budget"] == 0.02
  assert prop(properties.ACCURACY_BUDGET_MET) == int(budget["budget_met"])
  assert prop(properties.SEARCH_METRIC_DROP) == pytest.approx(
      budget["chosen"]["drop"])
  rows = list(csv.DictReader(open(f"{model.uri}/{spec.SEARCH_TRACE_CSV}")))
  assert 1 <= len(rows) <= 4 and rows[0]["name"] == "int8"
  assert report["tensor_validation"] == spec.TENSOR_VALIDATION_CSV
  tensors = list(csv.DictReader(open(
      f"{model.uri}/{spec.TENSOR_VALIDATION_CSV}")))
  assert tensors and "snr" in tensors[0]


def test_evaluator_page_shows_the_search_written_by_the_quantizer(tmp_path):
  from tfx_compression.compression_evaluator import quantizer_search  # pylint: disable=g-import-not-at-top
  from tfx_compression.compression_evaluator import report  # pylint: disable=g-import-not-at-top
  result = _search(["u00", "u01", "u02"])
  (tmp_path / "search_trace.json").write_text(json.dumps(result.to_json()))
  search = quantizer_search.read(str(tmp_path))
  assert len(search["steps"]) == 6 and search["chosen"]["index"] == 3
  page = report.render({"verdict": "BLESSED", "checks": [],
                        "quantizer_search": search})
  section = page[page.index("Accuracy-budget search (PostTrainingQuantizer)"):]
  assert "3 of 6 configurations met the budget" in section
  assert section.count("<svg") == 1 and section.count("</tr>") == 7
  (tmp_path / "search_trace.json").write_text("{}")
  assert quantizer_search.read(str(tmp_path))["error"].startswith("KeyError")
  assert quantizer_search.read(str(tmp_path / "none")) is None


def test_a_string_label_is_named_with_what_to_do():
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from tfx_compression.errors import InputMismatchError  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.quantization import search_judge  # pylint: disable=g-import-not-at-top
  record = tf.train.Example(features=tf.train.Features(feature={
      "species": tf.train.Feature(bytes_list=tf.train.BytesList(
          value=[b"Adelie"]))})).SerializeToString()
  with pytest.raises(InputMismatchError,
                     match=r"label_key 'species': validation record 0 has 1 "
                     r"bytes_list value\(s\).*leave ptq_config.label_key "
                     "empty"):
    search_judge.labels_from([record], "species")
  assert list(search_judge.labels_from([_label_record(2)], "y")) == [2.0]


def _label_record(value):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  return tf.train.Example(features=tf.train.Features(feature={
      "y": tf.train.Feature(int64_list=tf.train.Int64List(value=[value]))})
                          ).SerializeToString()
