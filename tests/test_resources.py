"""ResourcePlan: validated image and resources per component kind."""

import pytest

from tfx_compression.errors import CompressionConfigError
from tfx_compression.pipelines import resources
from tfx_compression.pipelines.resources import ComponentKind
from tfx_compression.pipelines.resources import ResourcePlan
from tfx_compression.pipelines.resources import Resources


def test_every_kind_has_a_default():
  plan = ResourcePlan()
  assert set(plan.components) == set(ComponentKind)
  assert plan.components == dict(resources.DEFAULTS)


def test_from_dict_merges_fields_over_the_kind_default():
  plan = ResourcePlan.from_dict({
      "image": "europe-docker.pkg.dev/p/r/tfx-compression:1",
      "components": {
          "Pruner": {"accelerator_type": "nvidia.com/gpu",
                     "accelerator_count": 1},
          "CompressionEvaluator": {"cpu": None, "memory_gb": 8}}})
  default = resources.DEFAULTS[ComponentKind.PRUNER]
  assert plan.components[ComponentKind.PRUNER] == Resources(
      cpu=default.cpu, memory_gb=default.memory_gb,
      accelerator_type="nvidia.com/gpu", accelerator_count=1)
  assert plan.components[ComponentKind.COMPRESSION_EVALUATOR] == Resources(
      memory_gb=8)
  assert plan.components[ComponentKind.TRAINER] == resources.DEFAULTS[
      ComponentKind.TRAINER]


@pytest.mark.parametrize("values, message", [
    ({"components": {"Prunner": {}}},
     "resources.components key must be one of 'ExampleGen'"),
    ({"components": {"Pruner": {"gpus": 1}}},
     "unknown resources.components.Pruner field(s) ['gpus']"),
    ({"components": {"Pruner": {"cpu": 0}}},
     "resources.components.Pruner: cpu must be > 0; got 0.0"),
    ({"components": {"Trainer": {"memory_gb": "4G"}}},
     "memory_gb must be a number; got '4G'"),
    ({"components": {"Pruner": {"accelerator_type": "nvidia.com/gpu"}}},
     "accelerator_type and accelerator_count >= 1 go together"),
    ({"components": {"Pruner": {"accelerator_count": 2}}},
     "accelerator_type and accelerator_count >= 1 go together"),
    ({"components": {"Pruner": {"image": "tfx-compression-gpu:1"}}},
     "image must be a fully qualified image reference"),
    ({"image": "tfx-compression:0.1.0"},
     "resources.image must be a fully qualified image reference"),
    ({"components": ["Pruner"]}, "resources.components must be a mapping"),
    ({"replicas": 2}, "unknown resources field(s) ['replicas']"),
])
def test_bad_resources_name_the_field(values, message):
  with pytest.raises(CompressionConfigError) as e:
    ResourcePlan.from_dict(values)
  assert message in str(e.value)


@pytest.mark.parametrize("image", [
    "registry.example/tfx-compression:test",
    "europe-docker.pkg.dev/project/repo/tfx-compression:0.1.0",
    "localhost:5000/tfx-compression",
    "ghcr.io/org/tfx-compression@sha256:" + "0" * 64,
    "docker.io/library/python:3.10-slim",
])
def test_fully_qualified_images_pass(image):
  assert resources.check_image_reference(image, "image") == image


@pytest.mark.parametrize("image", [
    "tfx-compression:0.1.0", "tfx-compression", "registry.example",
    "registry.example/Tfx:1", "registry.example/tfx:", "registry.example/a b",
    "ghcr.io/org/x@sha256:123", None,
])
def test_unqualified_or_malformed_images_fail(image):
  with pytest.raises(CompressionConfigError, match="fully qualified"):
    resources.check_image_reference(image, "image")


def test_component_kinds_follow_the_class():
  # pylint: disable=g-import-not-at-top
  from tfx.components.example_gen.csv_example_gen.component import CsvExampleGen
  from tfx.components.example_gen.import_example_gen.component import ImportExampleGen
  from tfx.types import channel_utils, standard_artifacts
  from tfx_compression import LiteConverter
  model = channel_utils.as_channel([standard_artifacts.Model()])
  assert resources.kind_of(ImportExampleGen(input_base="/d")) is (
      ComponentKind.EXAMPLE_GEN)
  assert resources.kind_of(CsvExampleGen(input_base="/d")) is (
      ComponentKind.EXAMPLE_GEN)
  converter = LiteConverter(model=model)
  assert resources.kind_of(converter) is ComponentKind.LITE_CONVERTER
  assert ResourcePlan().for_component(converter) == resources.DEFAULTS[
      ComponentKind.LITE_CONVERTER]
  assert resources.kind_of(object()) is None


def test_plan_file_section_reaches_the_compression_plan():
  from tfx_compression.pipelines.compression import CompressionPlan  # pylint: disable=g-import-not-at-top
  plan = CompressionPlan.from_dict({
      "resources": {"components": {"Trainer": {"cpu": 8}}}})
  assert plan.resources.components[ComponentKind.TRAINER].cpu == 8.0
