"""Library tests: the CompressionEvaluator's HTML report and what feeds it.

The page is rendered from a hand-made report.json (every section present),
checked as text, then opened in headless Chromium and checked as the DOM
the browser built. The per-class view and the quantizer's per-layer error
are computed from files written the way the evaluator and the
PostTrainingQuantizer write them.
"""

import json
import re

import pytest

import html_dom
from tfx_compression.compression_evaluator import executor
from tfx_compression.compression_evaluator import per_class
from tfx_compression.compression_evaluator import predictions
from tfx_compression.compression_evaluator import quantizer_layers
from tfx_compression.compression_evaluator import report
from tfx_compression.lib.report import units

# (title, x-axis label, y-axis label) of every plot of `_report()`, in order.
PLOTS = [
    ("acc vs size (Overall)", "TFLite file size (KB)", "acc"),
    ("acc per slice", "slice", "acc"),
    ("Model size", "form of the model file", "size (KB)"),
    ("Latency at batch 1", "statistic over runs", "latency (µs)"),
    ("Latency at batch 32 (not gated)", "statistic over runs", "latency (ms)"),
    ("Candidate weight sparsity per tensor", "fraction of zero weights",
     "weight tensor"),
    ("Candidate confusion matrix", "predicted class", "label (label)"),
    ("Confusion change vs baseline", "predicted class", "label (label)"),
    ("Accuracy per class", "class (label)", "accuracy (fraction)"),
    ("Candidate-vs-baseline disagreement per class", "class (label)",
     "predictions differing (%)"),
    ("Per-layer quantization error",
     "RMSE in quantization steps (RMSE / scale)", "quantized tensor"),
]


def _layer(name, op, rmse, kept, reason=""):
  return {"tensor_name": name, "op_name": op, "rmse_over_scale": rmse,
          "max_abs_error": 0.1, "mean_squared_error": 0.01, "scale": 0.1,
          "kept_float": kept, "reason": reason}


def _report(verdict="NOT_BLESSED"):
  fig = lambda size, lat: {
      "uri": "/m", "measured_as": "tflite", "size_bytes": size,
      "gzip_size_bytes": size // 2, "latency_median_us": lat,
      "peak_memory_bytes": 3_000_000,
      "memory": {"increase_bytes": 3_000_000, "over_runtime_bytes": 2_000_000},
      "latency": {"1": {"median_us": lat, "p90_us": lat * 1.2, "gated": True,
                        "num_threads": 1},
                  "32": {"median_us": lat * 20, "p90_us": lat * 25,
                         "gated": False, "num_threads": 1}},
      "weight_sparsity": {"conv1/kernel": 0.5, "dense1/kernel": 0.8}}
  metric = lambda s, c, b: {
      "slice_name": s, "metric": "acc", "candidate": c, "baseline": b,
      "diff": c - b, "threshold": -0.02, "passed": c - b >= -0.02,
      "num_examples": 30, "kind": "change", "against": "baseline"}
  comparison = lambda gated: {"ratio": 1.25, "ratio_ci_low": 1.2,
                              "ratio_ci_high": 1.3, "gated": gated}
  top = [_layer("model/conv2d/Relu;model/conv2d/BiasAdd", "CONV_2D", 2.0, True,
                "float_ops: op type kept float"),
         _layer("model/dense/MatMul", "FULLY_CONNECTED", 0.3, False)]
  return {
      "verdict": verdict, "variant": "ptq_int8", "error": None,
      "candidate": fig(20000, 40.0), "baseline": fig(60000, 50.0),
      "baselines": ["baseline"], "not_gated": ["memory"],
      "metrics": [metric("Overall", 0.95, 0.97), metric("label:0", 0.5, 1.0),
                  metric("label:1", 1.0, 1.0)],
      "checks": [
          {"name": "acc[label:0]", "passed": False, "value": -0.5,
           "threshold": -0.02, "reason": "<dropped>"},
          {"name": "size_bytes", "passed": True, "value": 20000,
           "threshold": 2_000_000, "reason": "size 19.5 KB <= 1.91 MB"},
          {"name": "latency_median_ms", "passed": True, "value": 0.04,
           "threshold": 5.0, "reason": "ok"}],
      "ratios": {"baseline": {
          "size_ratio": 3.0, "gzip_size_ratio": 3.0, "latency_ratio": 1.25,
          "latency": {"1": comparison(True), "32": comparison(False)}}},
      "per_class": {
          "label_key": "label", "classes": [0, 1, 2], "examples": 9,
          "examples_per_class": [3, 3, 3], "skipped_records": 0,
          "accuracy": {"candidate": [1.0, 2 / 3, 1.0],
                       "baseline": [1.0, 1.0, 1.0]},
          "confusion": {"candidate": [[3, 0, 0], [1, 2, 0], [0, 0, 3]],
                        "baseline": [[3, 0, 0], [0, 3, 0], [0, 0, 3]]},
          "disagreement": {"baseline": [0.0, 1 / 3, 0.0]},
          "changed": {"baseline": 1 / 9}},
      "quantizer_layers": {"file": "/m/layer_errors.csv", "tensors": 5,
                           "kept_float": top[:1], "top": top,
                           "initial_relative_output_error": 0.0312,
                           "relative_output_error": 0.0123},
  }


@pytest.fixture(scope="module")
def page():
  """The page of `_report()` (rendering costs ~2 s)."""
  return report.render(_report())


def _visible_text(page: str) -> str:
  """The page's text outside the plots (tables, headings, notes)."""
  page = re.sub(r"<svg.*?</svg>", " ", page, flags=re.S)
  return re.sub(r"<[^>]+>", " ", page)


def test_page_is_self_contained_and_names_the_variant(page):
  assert page.startswith("<!DOCTYPE html>")
  assert not re.search(r"(src|href)\s*=\s*['\"]?\s*(https?:)?//", page)
  assert "<script" not in page and "@import" not in page
  # Only in-page references: fragments (#id) and data: URIs (the colour
  # bars' gradients are inline PNGs).
  references = re.findall(r"(?:href|src)\s*=\s*[\"']([^\"']*)", page)
  assert all(r.startswith(("#", "data:")) for r in references), {
      r[:40] for r in references}
  title = "ptq_int8: CompressionEvaluator report"
  assert f"<title>{title}</title>" in page and f"<h1>{title}</h1>" in page
  assert "&lt;dropped&gt;" in page  # Text is escaped.
  assert 'class="verdict NOT_BLESSED"' in page
  assert "Not gated (no budget set): memory." in page


def test_page_writes_sizes_in_kb_and_latency_in_us_or_ms(page):
  text = _visible_text(page)
  for shown in ("19.5 KB", "58.6 KB", "9.8 KB", "2.86 MB", "1.91 MB",
                "40.0 µs", "48.0 µs", "3.000×", "1.250× (1.200–1.300)",
                "not gated"):
    assert shown in text, shown
  # No raw byte count anywhere outside the plots.
  for raw in ("20000", "60000", "3000000", "2000000", "10000"):
    assert raw not in text, raw


def test_page_has_every_plot_with_title_and_axis_labels(page):
  svgs = re.findall(r"<svg.*?</svg>", page, flags=re.S)
  assert len(svgs) == len(PLOTS)
  for svg, labels in zip(svgs, PLOTS):
    for label in labels:
      assert f">{label}<" in svg.replace("&amp;", "&"), (label, labels[0])


def test_layer_error_section_names_the_tensors_kept_float(page):
  text = _visible_text(page)
  assert "Kept float: CONV_2D: conv2d/Relu." in text
  assert "float_ops: op type kept float" in text
  assert "FULLY_CONNECTED: dense/MatMul" in text
  assert "0.0312 fully int8, 0.0123 as published." in text


def test_page_without_quantizer_file_or_classes_has_no_such_sections():
  r = _report()
  r["quantizer_layers"] = None
  r["per_class"] = {"skipped": "no record has a single integer label 'y'"}
  page = report.render(r)
  assert "Per-layer quantization error" not in page
  assert "No per-class view: no record has a single integer label" in page
  assert page.count("<svg") == 6


def test_page_of_failed_evaluation_has_no_plots():
  page = report.render({"verdict": "NOT_BLESSED", "error": "Boom: x",
                        "checks": []})
  assert "Evaluation error: Boom: x" in page and "<svg" not in page
  assert "<title>CompressionEvaluator report</title>" in page


def test_page_renders_in_headless_chromium_with_every_plot(page, tmp_path):
  rendered = html_dom.render(page, str(tmp_path))
  assert rendered.figures == len(PLOTS) == len(rendered.svgs)
  for texts, (title, x_label, y_label) in zip(rendered.svgs, PLOTS):
    assert {title, x_label, y_label} <= set(texts), (title, texts)
  assert "ptq_int8: CompressionEvaluator report" in rendered.dom
  # The browser drew them: the screenshot is far from blank.
  assert rendered.screenshot.shape[:2] == (3000, 1400)
  assert (rendered.screenshot.min(axis=-1) < 0.9).mean() > 0.05


def _write_predictions(path, rows):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  options = tf.io.TFRecordOptions(compression_type="GZIP")
  with tf.io.TFRecordWriter(path, options) as writer:
    for label, candidate, baseline in rows:
      example = tf.train.Example()
      features = example.features.feature
      if label is not None:
        features["label"].int64_list.value[:] = [label]
      features[predictions.feature_name("candidate")].float_list.value[:] = (
          candidate)
      features[predictions.feature_name("baseline")].float_list.value[:] = (
          baseline)
      writer.write(example.SerializeToString())


def test_per_class_counts_confusion_accuracy_and_disagreement(tmp_path):
  path = str(tmp_path / "predictions.tfrecord.gz")
  one_hot = lambda c: [float(i == c) for i in range(3)]
  _write_predictions(path, [
      (0, one_hot(0), one_hot(0)), (0, one_hot(0), one_hot(0)),
      (1, one_hot(2), one_hot(1)), (1, one_hot(1), one_hot(1)),
      (2, one_hot(2), one_hot(0)), (None, one_hot(0), one_hot(0))])
  view = per_class.compute([path], "label", ["candidate", "baseline"])
  assert view["classes"] == [0, 1, 2] and view["examples"] == 5
  assert view["skipped_records"] == 1
  assert view["examples_per_class"] == [2, 2, 1]
  assert view["confusion"]["candidate"] == [[2, 0, 0], [0, 1, 1], [0, 0, 1]]
  assert view["confusion"]["baseline"] == [[2, 0, 0], [0, 2, 0], [1, 0, 0]]
  assert view["accuracy"]["candidate"] == [1.0, 0.5, 1.0]
  assert view["accuracy"]["baseline"] == [1.0, 1.0, 0.0]
  assert view["disagreement"] == {"baseline": [0.0, 0.5, 1.0]}
  assert view["changed"]["baseline"] == pytest.approx(2 / 5)


def test_per_class_of_a_single_output_thresholds_at_one_half(tmp_path):
  path = str(tmp_path / "binary.tfrecord.gz")
  _write_predictions(path, [(1, [0.9], [0.4]), (0, [0.2], [0.1])])
  view = per_class.compute([path], "label", ["candidate", "baseline"])
  assert view["confusion"]["candidate"] == [[1, 0], [0, 1]]
  assert view["confusion"]["baseline"] == [[1, 0], [1, 0]]
  no_label = per_class.compute([path], "species", ["candidate", "baseline"])
  assert no_label == {"skipped": "no record has a single integer label "
                                 "'species' (2 records read)"}


def _layer_errors_csv():
  """A layer_errors.csv as the PostTrainingQuantizer writes it."""
  from tfx_compression.lib.quantization import layer_errors as qd  # pylint: disable=g-import-not-at-top
  layer = lambda name, op, rmse: qd.LayerError(
      name, op, 0, 10.0, 0.0, 0.1, 0.5, 0.01, 0.1, 0, rmse)
  layers = [layer(f"m/dense_{i}/MatMul", "FULLY_CONNECTED", 0.3 + i / 10)
            for i in range(20)] + [layer("m/conv/Relu", "CONV_2D", 0.31)]
  result = qd.DebugResult(
      layers=layers, float_nodes=["m/conv/Relu"], float_ops=[],
      decisions=[qd.FloatDecision("m/conv/Relu", "float_layers: conv", 0.01)],
      initial_relative_output_error=0.02, relative_output_error=0.01,
      error_budget=None, budget_met=None, num_debug_examples=10,
      model_bytes=None)
  return qd.layer_report_csv(result)


def test_quantizer_layers_top_by_error_and_kept_float(tmp_path):
  (tmp_path / "layer_errors.csv").write_text(_layer_errors_csv())
  (tmp_path / "report.json").write_text(json.dumps({"float_layers": {
      "initial_relative_output_error": 0.02, "relative_output_error": 0.01}}))
  layers = quantizer_layers.read(str(tmp_path))
  assert (layers["initial_relative_output_error"],
          layers["relative_output_error"]) == (0.02, 0.01)
  assert layers["tensors"] == 21
  assert len(layers["top"]) == quantizer_layers.TOP_LAYERS
  errors = [r["rmse_over_scale"] for r in layers["top"]]
  assert errors == sorted(errors, reverse=True) and errors[0] == pytest.approx(2.2)
  # Kept float although not among the worst: listed all the same.
  assert [r["tensor_name"] for r in layers["kept_float"]] == ["m/conv/Relu"]
  assert layers["kept_float"][0]["reason"] == "float_layers: conv"


def test_quantizer_layers_absent_or_unreadable(tmp_path):
  assert quantizer_layers.read(str(tmp_path)) is None
  (tmp_path / "layer_errors.csv").write_text(_layer_errors_csv())
  # Without the quantizer's report.json: the layers, no model-level error.
  layers = quantizer_layers.read(str(tmp_path))
  assert layers["tensors"] == 21 and "relative_output_error" not in layers
  (tmp_path / "layer_errors.csv").write_text("tensor_name,op_name\nx,y\n")
  layers = quantizer_layers.read(str(tmp_path))
  assert layers["error"].startswith("KeyError") and "file" in layers


@pytest.mark.parametrize("uri, variant", [
    ("/root/PostTrainingQuantizer.ptq_int8/quantized_model/12", "ptq_int8"),
    ("gs://b/root/LiteConverter.none/tflite_model/3/", "none"),
    ("/root/Trainer/model/5", "Trainer"),
    ("/tmp/x/float_tflite", "float_tflite"),
])
def test_variant_from_the_candidates_uri(uri, variant):
  assert executor.variant_name(None, uri) == variant


def test_variant_from_the_evaluators_node_id():
  from tfx.dsl.components.base import base_executor  # pylint: disable=g-import-not-at-top
  from tfx.proto.orchestration import pipeline_pb2  # pylint: disable=g-import-not-at-top
  node = pipeline_pb2.PipelineNode()
  node.node_info.id = "CompressionEvaluator.pruned_qat"
  context = base_executor.BaseExecutor.Context(pipeline_node=node)
  assert executor.variant_name(context, "/r/Trainer/model/5") == "pruned_qat"


@pytest.mark.parametrize("value, text", [
    (812, "812 B"), (20000, "19.5 KB"), (3_000_000, "2.86 MB")])
def test_sizes_read_in_kb_or_mb(value, text):
  assert units.size(value) == text


@pytest.mark.parametrize("value, text", [
    (38.24, "38.2 µs"), (1250, "1.25 ms"), (2.5e6, "2.5 s")])
def test_durations_read_in_us_or_ms(value, text):
  assert units.duration_us(value) == text
