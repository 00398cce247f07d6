"""add_compression builds the right components for a CompressionPlan."""

import pytest

from tfx_compression.errors import CompressionConfigError
from tfx_compression.pipelines.compression import CompressionPlan
from tfx_compression.pipelines.compression import add_compression


def _channels():
  from tfx.types import channel_utils, standard_artifacts  # pylint: disable=g-import-not-at-top
  return (channel_utils.as_channel([standard_artifacts.Examples()]),
          channel_utils.as_channel([standard_artifacts.Model()]))


def test_full_plan_ids_and_wiring():
  from tfx_compression.pipelines import cli  # pylint: disable=g-import-not-at-top
  examples, model = _channels()
  components = add_compression(examples, model,
                               cli.demo_plan(push_destination="/srv"))
  ids = [c.id for c in components]
  assert ids == [
      "LiteConverter.none", "CompressionEvaluator.none",
      "LiteConverter.dynamic_range", "CompressionEvaluator.dynamic_range",
      "PostTrainingQuantizer.ptq_int8", "CompressionEvaluator.ptq_int8",
      "Pruner.pruned", "LiteConverter.pruned_tflite",
      "CompressionEvaluator.pruned_tflite",
      "QuantizationAwareTrainer.pruned_qat",
      "CompressionEvaluator.pruned_qat", "CandidateSelector", "Pusher.selected"]
  by_id = {c.id: c for c in components}
  qat = by_id["QuantizationAwareTrainer.pruned_qat"]
  assert qat.inputs["model"].producer_component_id == "Pruner.pruned"
  evaluator = by_id["CompressionEvaluator.ptq_int8"]
  assert evaluator.inputs["baseline_model"] is model
  selector = by_id["CandidateSelector"]
  assert selector.inputs["model_2"] is evaluator.inputs["model"]
  assert selector.inputs["blessing_2"] is evaluator.outputs["blessing"]
  pusher = by_id["Pusher.selected"]
  assert pusher.inputs["model"] is selector.outputs["model"]
  assert pusher.inputs["model_blessing"] is selector.outputs["blessing"]
  assert '"base_directory": "/srv"' in pusher.exec_properties[
      "push_destination"]


def test_per_variant_pushers_on_request():
  examples, model = _channels()
  plan = CompressionPlan(ptq_modes=[], push_destination="/srv",
                         pushers="per_variant")
  components = add_compression(examples, model, plan)
  assert [c.id for c in components] == [
      "LiteConverter.none", "CompressionEvaluator.none", "Pusher.none"]
  pusher = components[-1]
  assert pusher.inputs["model_blessing"].producer_component_id == (
      "CompressionEvaluator.none")
  assert '"base_directory": "/srv/none"' in pusher.exec_properties[
      "push_destination"]


def test_selector_objective_from_a_plan_file_mapping():
  plan = CompressionPlan.from_dict({
      "selector": {"objective": "weights",
                   "weights": {"metric_sparse_categorical_accuracy": 1.0,
                               "gzip_size_bytes": -0.5}},
      "push_destination": "/srv"})
  examples, model = _channels()
  selector = add_compression(examples, model, plan)[-2]
  assert '"objective": "weights"' in selector.exec_properties[
      "candidate_selector_config"]


def test_without_push_destination_no_pusher():
  examples, model = _channels()
  ids = [c.id for c in add_compression(examples, model, CompressionPlan())]
  assert ids == ["LiteConverter.none", "CompressionEvaluator.none",
                 "PostTrainingQuantizer.ptq_int8",
                 "CompressionEvaluator.ptq_int8", "CandidateSelector"]


@pytest.mark.parametrize("kwargs, message", [
    ({"ptq_modes": ["int4"]}, "ptq_modes must be one of 'dynamic_range', "
     "'float16', 'int8', 'int16x8', 'int4_weights'; got 'int4'"),
    ({"lite_optimizations": ["int8"]}, "lite_optimizations must be one of"),
    ({"lite_optimizations": [], "ptq_modes": []},
     "CompressionPlan builds no branch"),
    ({"pushers": "each"}, "pushers must be one of 'selected', 'per_variant'; "
     "got 'each'"),
    ({"selector": {"objective": "fastest"}},
     "selector must be a CandidateSelectorConfig; got dict"),
    ({"lite_config": {"inputs": "model"}},
     "lite_config must be a LiteConverterConfig; got dict"),
    ({"model_fn": "m.build", "model_fn_kwargs": ["hidden_units", 4]},
     "model_fn_kwargs must map argument names to values, e.g. "
     "{'hidden_units': [100, 70, 50, 25]}; got ['hidden_units', 4]"),
    ({"model_fn": "m.build", "model_fn_kwargs": {"units": object}},
     "model_fn_kwargs values must be JSON values"),
    ({"model_fn_kwargs": {"units": 4}},
     "model_fn_kwargs is passed to model_fn, which is not set"),
])
def test_bad_plan_is_named(kwargs, message):
  with pytest.raises(CompressionConfigError) as e:
    CompressionPlan(**kwargs)
  assert message in str(e.value)


def test_lite_config_from_a_plan_file_templates_every_lite_converter():
  plan = CompressionPlan.from_dict({
      "lite_optimizations": ["none", "dynamic_range"], "ptq_modes": [],
      "lite_config": {"inputs": "model"}, "pruner": {}})
  from tfx_compression.lite_converter.component import LiteConverter  # pylint: disable=g-import-not-at-top
  from tfx_compression.lite_converter.config import LiteConverterConfig  # pylint: disable=g-import-not-at-top
  from tfx.types import channel_utils, standard_artifacts  # pylint: disable=g-import-not-at-top
  components = add_compression(
      channel_utils.as_channel([standard_artifacts.Examples()]),
      channel_utils.as_channel([standard_artifacts.Model()]), plan)
  configs = {c.id: LiteConverterConfig.from_exec_properties(c.exec_properties)
             for c in components if isinstance(c, LiteConverter)}
  assert {k: (v.inputs.value, v.optimization.value)
          for k, v in configs.items()} == {
              "LiteConverter.none": ("model", "none"),
              "LiteConverter.dynamic_range": ("model", "dynamic_range"),
              "LiteConverter.pruned_tflite": ("model", "none")}


def test_ptq_accuracy_budget_from_the_evaluator():
  plan = CompressionPlan.from_dict({"ptq_config": {
      "accuracy_budget": "evaluator", "label_key": "label"}})
  assert plan.ptq_config.accuracy_budget == 0.02  # the evaluator's default
  plan = CompressionPlan.from_dict({
      "ptq_config": {"accuracy_budget": "evaluator"},
      "evaluator": {"metrics": [
          {"class_name": "AUC", "max_drop": 0.01},
          {"class_name": "BinaryAccuracy", "max_drop": 0.015}]}})
  assert plan.ptq_config.accuracy_budget == 0.015
  with pytest.raises(CompressionConfigError,
                     match="accuracy metric of evaluator.metrics; they are "
                     r"\['MeanSquaredError'\]"):
    CompressionPlan.from_dict({
        "ptq_config": {"accuracy_budget": "evaluator"},
        "evaluator": {"metrics": [{"class_name": "MeanSquaredError",
                                   "max_drop": 0.1, "relative": True}]}})
  with pytest.raises(CompressionConfigError, match="accuracy_budget"):
    CompressionPlan.from_dict({"ptq_config": {"accuracy_budget": "all"}})


def test_prune_cluster_qat_recipe_chains_three_fine_tunings():
  """#27: pruning, sparsity-preserving clustering and cluster/prune-preserving
  QAT, named in one plan; each step's output feeds the next."""
  examples, model = _channels()
  plan = CompressionPlan.from_dict({
      "lite_optimizations": [], "ptq_modes": [],
      "pruner": {"schedule": {"kind": "constant", "target_sparsity": 0.8}},
      "clusterer": {"number_of_clusters": 16},
      "qat": {}})
  assert plan.clusterer.number_of_clusters == 16
  assert plan.clusterer.preserve_sparsity is None  # auto: the input's zeros
  by_id = {c.id: c for c in add_compression(examples, model, plan)}
  assert list(by_id) == [
      "Pruner.pruned", "LiteConverter.pruned_tflite",
      "CompressionEvaluator.pruned_tflite",
      "WeightClusterer.pruned_clustered",
      "LiteConverter.pruned_clustered_tflite",
      "CompressionEvaluator.pruned_clustered_tflite",
      "QuantizationAwareTrainer.pruned_clustered_qat",
      "CompressionEvaluator.pruned_clustered_qat", "CandidateSelector"]
  assert by_id["WeightClusterer.pruned_clustered"].inputs[
      "model"].producer_component_id == "Pruner.pruned"
  assert by_id["QuantizationAwareTrainer.pruned_clustered_qat"].inputs[
      "model"].producer_component_id == "WeightClusterer.pruned_clustered"
  with pytest.raises(CompressionConfigError,
                     match="clusterer.number_of_clusters"):
    CompressionPlan.from_dict({"clusterer": {"number_of_clusters": 1}})
