"""CandidateSelector executor on real candidates.

Two real candidates of the session's Trainer model (LiteConverter float and
dynamic range, each judged by a real CompressionEvaluator) and one refused
by a real CompressionEvaluator (a size budget of 1 byte). Edge cases (ties,
incomplete evaluations) edit copies of these real artifacts' properties.
"""

import json
import os

import pytest

import executor_harness as harness
from tfx_compression.framework import spec_channels
from tfx_compression.framework import properties
from tfx_compression.candidate_selector import spec
from tfx_compression.candidate_selector.executor import set_property
from tfx_compression.candidate_selector.config import CandidateSelectorConfig
from tfx_compression.compression_evaluator import spec as evaluator_spec
from tfx_compression.compression_evaluator.config import Benchmark
from tfx_compression.compression_evaluator.config import Budgets
from tfx_compression.compression_evaluator.config import CompressionEvaluatorConfig
from tfx_compression.lite_converter import spec as lite_spec
from tfx_compression.lite_converter.config import LiteConverterConfig

FAST = Benchmark(warmup_runs=2, runs=20, measure_memory=False)
ACCURACY = "metric_sparse_categorical_accuracy"


class Real:
  """One candidate's model, evaluation and blessing artifacts."""

  def __init__(self, model, evaluation, blessing):
    self.model, self.evaluation, self.blessing = model, evaluation, blessing

  def figure(self, name):
    return self.evaluation.get_custom_property(name)


@pytest.fixture(scope="module")
def real(trained_pipeline, tmp_path_factory):
  """{'none', 'dynamic_range', 'refused'}: real converted and judged models."""
  out = tmp_path_factory.mktemp("candidate_selector")
  models = {}
  for i, optimization in enumerate(("none", "dynamic_range")):
    model = harness.run(
        "LiteConverter", {spec_channels.MODEL_KEY: trained_pipeline.model,
                          spec_channels.EXAMPLES_KEY: trained_pipeline.examples},
        str(out / optimization),
        LiteConverterConfig(optimization=optimization,
                            num_validation_examples=50))[
                                lite_spec.TFLITE_MODEL_KEY]
    model.id = 100 + i
    models[optimization] = model
  models["refused"] = models["none"]
  result = {}
  for name, model in models.items():
    budgets = Budgets(max_size_bytes=1) if name == "refused" else Budgets()
    outputs = harness.run(
        "CompressionEvaluator",
        {spec_channels.EXAMPLES_KEY: trained_pipeline.examples,
         spec_channels.MODEL_KEY: model,
         evaluator_spec.BASELINE_MODEL_KEY: trained_pipeline.model},
        str(out / f"eval_{name}"),
        CompressionEvaluatorConfig(benchmark=FAST, budgets=budgets))
    result[name] = Real(model, outputs[evaluator_spec.EVALUATION_KEY],
                        outputs[evaluator_spec.BLESSING_KEY])
  assert result["none"].blessing.get_int_custom_property("blessed") == 1
  assert result["dynamic_range"].blessing.get_int_custom_property("blessed") == 1
  assert result["refused"].blessing.get_int_custom_property("blessed") == 0
  return result


def _copy(artifact, drop=(), **overrides):
  """A new artifact of the same type and uri, properties edited."""
  copy = type(artifact)()
  copy.uri, copy.id = artifact.uri, artifact.id
  for name in artifact.mlmd_artifact.custom_properties:
    if name not in drop:
      set_property(copy, name, artifact.get_custom_property(name))
  for name, value in overrides.items():
    set_property(copy, name, value)
  return copy


def _select(candidates, tmp_path, **config):
  """Runs the executor on {variant: Real}; returns its outputs."""
  inputs = {}
  for i, c in enumerate(candidates.values()):
    inputs[spec.model_key(i)] = c.model
    inputs[spec.evaluation_key(i)] = c.evaluation
    inputs[spec.blessing_key(i)] = c.blessing
  return harness.run(
      "CandidateSelector", inputs, str(tmp_path / "selector"),
      CandidateSelectorConfig(variants=tuple(candidates), **config))


def _comparison(outputs):
  return json.load(open(os.path.join(outputs[spec.COMPARISON_KEY].uri,
                                     spec.COMPARISON_JSON_FILE)))


def _push(outputs, tmp_path):
  """Runs TFX's stock Pusher executor on the selector's outputs."""
  # pylint: disable=g-import-not-at-top
  from tfx.components.pusher import executor as pusher_executor
  from tfx.proto import pusher_pb2
  from tfx.types import standard_artifacts
  from tfx.types import standard_component_specs as stock
  from tfx.utils import proto_utils
  pushed = standard_artifacts.PushedModel()
  pushed.uri = str(tmp_path / "pushed_model")
  destination = pusher_pb2.PushDestination(
      filesystem=pusher_pb2.PushDestination.Filesystem(
          base_directory=str(tmp_path / "serving")))
  pusher_executor.Executor().Do(
      {stock.MODEL_KEY: [outputs[spec_channels.MODEL_KEY]],
       stock.MODEL_BLESSING_KEY: [outputs[spec.BLESSING_KEY]]},
      {stock.PUSHED_MODEL_KEY: [pushed]},
      {stock.PUSH_DESTINATION_KEY: proto_utils.proto_to_json(destination),
       stock.CUSTOM_CONFIG_KEY: "null"})
  return pushed


def test_smallest_pushes_the_smallest_blessed_candidate(real, tmp_path):
  outputs = _select(real, tmp_path, objective="smallest")
  winner = real["dynamic_range"]
  assert winner.figure(properties.GZIP_SIZE_BYTES) < real["none"].figure(
      properties.GZIP_SIZE_BYTES)
  model, blessing = outputs[spec_channels.MODEL_KEY], outputs[spec.BLESSING_KEY]
  for artifact in (model, blessing, outputs[spec.COMPARISON_KEY]):
    assert artifact.get_string_custom_property("selected_variant") == (
        "dynamic_range")
    assert artifact.get_int_custom_property("selected_model_id") == (
        winner.model.id)
    assert artifact.get_string_custom_property("objective") == "smallest"
  # The winner's flatbuffer, where the stock Pusher copies from.
  assert open(os.path.join(model.uri, "Format-Serving", "tflite"),
              "rb").read() == open(os.path.join(
                  winner.model.uri, "Format-Serving", "tflite"), "rb").read()
  assert model.get_string_custom_property(properties.MODEL_FORMAT) == "tflite"
  # A blessing as the stock Evaluator writes it, minus current_model_id
  # (the host pipeline's LatestBlessedModelStrategy never picks it).
  assert os.listdir(blessing.uri) == ["BLESSED"]
  assert blessing.get_int_custom_property("blessed") == 1
  assert not blessing.has_custom_property("current_model_id")
  assert blessing.get_int_custom_property(
      properties.CANDIDATE_MODEL_ID) == winner.model.id
  comparison = _comparison(outputs)
  assert comparison["selected"] == "dynamic_range"
  assert CandidateSelectorConfig.from_dict(comparison["config"]) == (
      CandidateSelectorConfig(variants=tuple(real), objective="smallest"))
  by_variant = {c["variant"]: c for c in comparison["candidates"]}
  assert by_variant["refused"]["eligible"] is False
  assert by_variant["none"]["rank"] == 2
  # One stock Pusher pushes it.
  pushed = _push(outputs, tmp_path)
  assert pushed.get_int_custom_property("pushed") == 1
  (version,) = os.listdir(tmp_path / "serving")
  assert os.listdir(tmp_path / "serving" / version) == ["tflite"]


def test_fastest_and_weights_objectives(real, tmp_path):
  latency = {v: real[v].figure(properties.LATENCY_MEDIAN_US)
             for v in ("none", "dynamic_range")}
  fastest = _select(real, tmp_path / "fastest", objective="fastest")
  assert _comparison(fastest)["selected"] == min(latency, key=latency.get)
  # A positive weight on size prefers the LARGEST model: the sign is honoured.
  largest = _select(real, tmp_path / "weights", objective="weights",
                    weights={properties.SIZE_BYTES: 1.0})
  assert _comparison(largest)["selected"] == "none"
  # Accuracy first, gzip size to break even: both keep the accuracy here,
  # so the smaller wins.
  balanced = _select(real, tmp_path / "balanced", objective="weights",
                     weights={ACCURACY: 1.0, properties.GZIP_SIZE_BYTES: -0.1})
  accuracy = {v: real[v].figure(ACCURACY) for v in ("none", "dynamic_range")}
  if accuracy["none"] == accuracy["dynamic_range"]:
    assert _comparison(balanced)["selected"] == "dynamic_range"
  scores = {c["variant"]: c["score"]
            for c in _comparison(balanced)["candidates"] if c["eligible"]}
  assert _comparison(balanced)["selected"] == max(scores, key=scores.get)


def test_ties_are_broken_by_the_other_figure_then_input_order(real, tmp_path):
  base = real["none"]
  same = lambda **o: Real(base.model, _copy(base.evaluation, **o),
                          base.blessing)
  # Equal gzip size: the lower latency wins although listed second.
  candidates = {"slow": same(latency_median_us=90.0),
                "quick": same(latency_median_us=30.0)}
  outputs = _select(candidates, tmp_path / "latency", objective="smallest")
  assert _comparison(outputs)["selected"] == "quick"
  assert "tied with slow" in outputs[
      spec.BLESSING_KEY].get_string_custom_property(properties.BLESSING_MESSAGE)
  # Equal on everything: the first in input order, whichever it is.
  for order in (("a", "b"), ("b", "a")):
    outputs = _select({v: same() for v in order}, tmp_path / "".join(order),
                      objective="smallest")
    assert _comparison(outputs)["selected"] == order[0]


def test_nothing_blessed_publishes_not_blessed_and_nothing_is_pushed(
    real, tmp_path):
  outputs = _select({"refused": real["refused"]}, tmp_path)
  blessing = outputs[spec.BLESSING_KEY]
  assert os.listdir(blessing.uri) == ["NOT_BLESSED"]
  assert blessing.get_int_custom_property("blessed") == 0
  assert "no candidate is blessed" in blessing.get_string_custom_property(
      properties.BLESSING_MESSAGE)
  model = outputs[spec_channels.MODEL_KEY]
  assert model.get_string_custom_property("selected_variant") == ""
  assert os.listdir(model.uri) == []
  assert _comparison(outputs)["selected"] is None
  assert _push(outputs, tmp_path).get_int_custom_property("pushed") == 0
  assert not os.path.exists(tmp_path / "serving")


def test_incomplete_or_mismatched_evaluations_are_never_selected(real,
                                                                 tmp_path):
  small = real["dynamic_range"]
  # Each of these would win (smallest gzip) if its evaluation were trusted.
  tiny = {properties.GZIP_SIZE_BYTES: 1.0}
  no_size = Real(small.model, _copy(small.evaluation,
                                    drop=(properties.GZIP_SIZE_BYTES,)),
                 small.blessing)
  no_verdict = Real(small.model, _copy(small.evaluation, drop=("verdict",),
                                       **tiny), small.blessing)
  nan_size = Real(small.model, _copy(
      small.evaluation, **{properties.GZIP_SIZE_BYTES: float("nan")}),
                  small.blessing)
  other_model = Real(real["none"].model, _copy(small.evaluation, **tiny),
                     small.blessing)  # dynamic_range's blessing
  no_evaluation = Real(small.model, None, small.blessing)
  unnamed = Real(small.model, _copy(small.evaluation, **tiny),
                 _copy(small.blessing, drop=("current_model",)))
  candidates = {"unnamed": unnamed, "no_size": no_size, "no_verdict": no_verdict,
                "nan_size": nan_size, "other_model": other_model,
                "no_evaluation": no_evaluation, "none": real["none"]}
  inputs = {}
  for i, c in enumerate(candidates.values()):
    inputs[spec.model_key(i)] = c.model
    inputs[spec.evaluation_key(i)] = c.evaluation
    inputs[spec.blessing_key(i)] = c.blessing
  outputs = harness.run("CandidateSelector", inputs, str(tmp_path / "s"),
                        CandidateSelectorConfig(variants=tuple(candidates)))
  comparison = _comparison(outputs)
  assert comparison["selected"] == "none"
  problems = {c["variant"]: " ".join(c["problems"])
              for c in comparison["candidates"]}
  assert "lacks gzip_size_bytes" in problems["no_size"]
  assert "verdict is 'missing'" in problems["no_verdict"]
  assert "lacks gzip_size_bytes" in problems["nan_size"]
  assert "blessing is for another model" in problems["other_model"]
  assert problems["no_evaluation"] == "no evaluation"
  assert "its blessing names no model" in problems["unnamed"]
  # Only incomplete ones: nothing is selected, and the message says why.
  outputs = _select({"no_size": no_size}, tmp_path / "only")
  assert outputs[spec.BLESSING_KEY].get_int_custom_property("blessed") == 0
  assert "lacks gzip_size_bytes" in outputs[
      spec.BLESSING_KEY].get_string_custom_property(properties.BLESSING_MESSAGE)


def test_comparison_page_has_labelled_plots_frontier_and_winner(
    real, tmp_path, trained_pipeline):
  outputs = _select(real, tmp_path)
  page = open(os.path.join(outputs[spec.COMPARISON_KEY].uri,
                           spec.COMPARISON_HTML_FILE), encoding="utf-8").read()
  assert page.count("<svg") == 2
  for text in ("sparse_categorical_accuracy vs size", "gzip size (KB)",
               "sparse_categorical_accuracy vs latency",
               "latency median, batch 1 (µs)",
               "sparse_categorical_accuracy (fraction)", "Pareto frontier",
               "dynamic_range ★ selected", "<tr class='selected'>",
               "not blessed", "vs baseline [95 % interval]",
               "score: gzip bytes (lower wins)", ">report</a>"):
    assert text in page, text
  # Each change comes with its interval from the evaluation.
  low = real["none"].figure("metric_sparse_categorical_accuracy_diff_low")
  high = real["none"].figure("metric_sparse_categorical_accuracy_diff_high")
  assert f"[{low:+.4f}, {high:+.4f}]" in page
  for external in ("src=", "href=\"http", "<link", "<script"):
    assert external not in page, external  # self-contained
  frontier = _comparison(outputs)["frontier"]
  assert "dynamic_range" in frontier["size"]
  assert "refused" not in frontier["size"] + frontier["latency"]
  # The baseline's row: what every change is measured against.
  baseline = _comparison(outputs)["baseline"]
  metric = "metric_sparse_categorical_accuracy"
  none = real["none"]
  assert baseline["figures"][metric] == pytest.approx(
      none.figure(metric) - none.figure(metric + "_diff"))
  assert baseline["figures"]["gzip_size_bytes"] > none.figure(
      "gzip_size_bytes") * 0.5  # the float32 conversion of the SavedModel
  assert baseline["uri"] == trained_pipeline.model.uri
  row = page[page.index("<tr class='baseline'>"):]
  row = row[:row.index("</tr>")]
  assert f"<td>{baseline['figures'][metric]:.4f}</td>" in row
  assert "measured as float32 TFLite conversion of the SavedModel" in row
