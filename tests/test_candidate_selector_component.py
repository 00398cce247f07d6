"""CandidateSelector component and config: keys, validation, round trip."""

import json

import pytest

from tfx_compression.framework import config_utils
from tfx_compression.candidate_selector.config import CandidateSelectorConfig
from tfx_compression.candidate_selector.config import Objective
from tfx_compression.errors import CompressionConfigError


def _channels():
  from tfx.types import channel_utils, standard_artifacts  # pylint: disable=g-import-not-at-top
  return tuple(channel_utils.as_channel([t()]) for t in (
      standard_artifacts.Model, standard_artifacts.ModelEvaluation,
      standard_artifacts.ModelBlessing))


def test_one_input_key_per_candidate_and_role_and_one_config_property():
  from tfx_compression.candidate_selector.component import CandidateSelector  # pylint: disable=g-import-not-at-top
  first, second = _channels(), _channels()
  selector = CandidateSelector(
      {"ptq_int8": first, "none": second},
      CandidateSelectorConfig(objective="fastest"))
  assert selector.inputs["model_0"] is first[0]
  assert selector.inputs["evaluation_1"] is second[1]
  assert selector.inputs["blessing_1"] is second[2]
  assert set(selector.outputs) == {"model", "blessing", "comparison"}
  assert selector.outputs["comparison"].type_name == (
      "tfx_compression.CandidateComparison")
  (value,) = selector.exec_properties.values()
  config = CandidateSelectorConfig.from_json(value)
  assert config.variants == ("ptq_int8", "none")
  assert config.objective is Objective.FASTEST
  assert json.loads(value)[config_utils.SCHEMA_VERSION_KEY] == (
      config_utils.SCHEMA_VERSION)


def test_takes_compression_evaluators_directly():
  # pylint: disable=g-import-not-at-top
  from tfx_compression.candidate_selector.component import CandidateSelector
  from tfx_compression.compression_evaluator.component import CompressionEvaluator
  from tfx.types import channel_utils, standard_artifacts
  examples = channel_utils.as_channel([standard_artifacts.Examples()])
  model, baseline = _channels()[0], _channels()[0]
  evaluator = CompressionEvaluator(examples=examples, model=model,
                                   baseline_model=baseline)
  selector = CandidateSelector({"none": evaluator})
  assert selector.inputs["model_0"] is model
  assert selector.inputs["blessing_0"].producer_component_id == evaluator.id


@pytest.mark.parametrize("candidates, message", [
    ({}, "candidates must be a non-empty mapping"),
    ({"a": (1, 2)}, "candidates['a'] must be a CompressionEvaluator or a "
     "(model, evaluation, blessing) tuple"),
    ("abc", "candidates must be a non-empty mapping"),
])
def test_bad_candidates_are_named(candidates, message):
  from tfx_compression.candidate_selector.component import CandidateSelector  # pylint: disable=g-import-not-at-top
  with pytest.raises(CompressionConfigError) as e:
    CandidateSelector(candidates)
  assert message in str(e.value)


def test_channel_of_the_wrong_type_is_named():
  from tfx_compression.candidate_selector.component import CandidateSelector  # pylint: disable=g-import-not-at-top
  model, evaluation, blessing = _channels()
  with pytest.raises(CompressionConfigError) as e:
    CandidateSelector({"x": (model, blessing, evaluation)})
  assert "candidates['x'] evaluation must be a channel of ModelEvaluation" in (
      str(e.value))


@pytest.mark.parametrize("kwargs, message", [
    ({"objective": "tiniest"}, "objective must be one of 'smallest', "
     "'fastest', 'weights'; got 'tiniest'"),
    ({"objective": "weights"}, "objective 'weights' needs weights"),
    ({"weights": {"gzip_size_bytes": -1.0}},
     "weights are read only with objective 'weights'; got objective "
     "'smallest'"),
    ({"objective": "weights", "weights": {"accuracy": 1.0}},
     "weights key must be one of 'size_bytes', 'gzip_size_bytes', "
     "'latency_median_us', 'peak_memory_bytes' or 'metric_<metric>'"),
    ({"objective": "weights", "weights": {"metric_auc": 0}},
     "weights['metric_auc'] must be non-zero"),
    ({"objective": "weights", "weights": {"metric_auc": float("nan")}},
     "weights['metric_auc'] must be a finite number; got nan"),
    ({"objective": "weights", "weights": ["metric_auc"]},
     "weights must be a mapping of figure name to number"),
    ({"variants": ("a", "a")}, "variants must be unique; got ['a', 'a']"),
    ({"variants": "ab"}, "variants must be a list; got str 'ab'"),
])
def test_bad_config_names_field_value_and_allowed(kwargs, message):
  with pytest.raises(CompressionConfigError) as e:
    CandidateSelectorConfig(**kwargs)
  assert message in str(e.value)


def test_config_round_trips_and_refuses_unknown_fields():
  config = CandidateSelectorConfig(
      objective="weights", variants=("a", "b"),
      weights={"metric_sparse_categorical_accuracy": 1, "gzip_size_bytes": -0.5})
  assert CandidateSelectorConfig.from_json(config.to_json()) == config
  assert config.figures() == ("gzip_size_bytes",
                              "metric_sparse_categorical_accuracy")
  with pytest.raises(CompressionConfigError, match=r"unknown CandidateSelector "
                     r"config field\(s\) \['objectve'\]"):
    CandidateSelectorConfig.from_dict({"objectve": "smallest"})


def test_selector_and_one_pusher_compile_for_kubeflow_v2():
  """Repeated single-Channel inputs compile (TFX 1.16's Kubeflow V2
  compiler refuses union channels: "Only single Channel is supported")."""
  # pylint: disable=g-import-not-at-top
  from tfx_compression.pipelines import cli
  from tfx_compression.pipelines import kubeflow
  from tfx_compression.pipelines import pipeline
  plan = cli.demo_plan(push_destination="gs://b/serving")
  tfx_pipeline = pipeline.create_pipeline(
      "p", "gs://b/root", "gs://b/data", None, plan=plan,
      trainer_run_fn="tfx_compression.pipelines.digits_trainer.run_fn")
  job = kubeflow.compile_job(tfx_pipeline, "registry.example/t:1")
  tasks = job["pipelineSpec"]["root"]["dag"]["tasks"]
  selector = tasks["CandidateSelector"]["inputs"]["artifacts"]
  assert selector["model_2"]["taskOutputArtifact"] == {
      "producerTask": "PostTrainingQuantizer.ptq_int8",
      "outputArtifactKey": "quantized_model"}
  assert selector["blessing_4"]["taskOutputArtifact"]["producerTask"] == (
      "CompressionEvaluator.pruned_qat")
  assert tasks["Pusher.selected"]["inputs"]["artifacts"]["model"][
      "taskOutputArtifact"] == {"producerTask": "CandidateSelector",
                                "outputArtifactKey": "model"}
  assert [t for t in tasks if t.startswith("Pusher")] == ["Pusher.selected"]


def test_frontier_follows_the_quality_metrics_direction():
  from tfx_compression.candidate_selector import runner  # pylint: disable=g-import-not-at-top
  from tfx_compression.candidate_selector.config import CandidateSelectorConfig  # pylint: disable=g-import-not-at-top

  def candidates(metric):
    # 'b' is larger and better on the metric when higher is better.
    return [runner.Candidate(v, i, blessed=True, figures={
        "gzip_size_bytes": size, "latency_median_us": 5.0, metric: value})
            for i, (v, size, value) in enumerate(
                [("a", 100.0, 1.0), ("b", 200.0, 2.0)])]

  config = CandidateSelectorConfig()
  for metric, front in (("metric_binary_accuracy", ["a", "b"]),
                        ("metric_mean_squared_error", ["a"])):
    cands = candidates(metric)
    result = runner.comparison(cands, runner.Selection(None, [], ""), config)
    assert result["frontier"]["size"] == front, metric
    assert result["quality_higher_is_better"] is (front == ["a", "b"])
