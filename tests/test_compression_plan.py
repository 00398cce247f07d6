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
      "LiteConverter.none", "CompressionEvaluator.none", "Pusher.none",
      "LiteConverter.dynamic_range", "CompressionEvaluator.dynamic_range",
      "Pusher.dynamic_range",
      "PostTrainingQuantizer.ptq_int8", "CompressionEvaluator.ptq_int8",
      "Pusher.ptq_int8",
      "Pruner.pruned", "LiteConverter.pruned_tflite",
      "CompressionEvaluator.pruned_tflite", "Pusher.pruned_tflite",
      "QuantizationAwareTrainer.pruned_qat",
      "CompressionEvaluator.pruned_qat", "Pusher.pruned_qat"]
  by_id = {c.id: c for c in components}
  qat = by_id["QuantizationAwareTrainer.pruned_qat"]
  assert qat.inputs["model"].producer_component_id == "Pruner.pruned"
  pusher = by_id["Pusher.ptq_int8"]
  assert pusher.inputs["model_blessing"].producer_component_id == (
      "CompressionEvaluator.ptq_int8")
  evaluator = by_id["CompressionEvaluator.ptq_int8"]
  assert evaluator.inputs["baseline_model"] is model


def test_without_push_destination_no_pusher():
  examples, model = _channels()
  ids = [c.id for c in add_compression(examples, model, CompressionPlan())]
  assert ids == ["LiteConverter.none", "CompressionEvaluator.none",
                 "PostTrainingQuantizer.ptq_int8",
                 "CompressionEvaluator.ptq_int8"]


@pytest.mark.parametrize("kwargs, message", [
    ({"ptq_modes": ["int4"]}, "ptq_modes must be one of 'dynamic_range', "
     "'float16', 'int8', 'int16x8'; got 'int4'"),
    ({"lite_optimizations": ["int8"]}, "lite_optimizations must be one of"),
    ({"lite_optimizations": [], "ptq_modes": []},
     "CompressionPlan builds no branch"),
])
def test_bad_plan_is_named(kwargs, message):
  with pytest.raises(CompressionConfigError) as e:
    CompressionPlan(**kwargs)
  assert message in str(e.value)
