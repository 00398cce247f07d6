"""Each component README's example runs, in the session's pipeline workdir."""

import os
import re

import pytest

from tfx_compression import properties

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _example(component_dir: str) -> str:
  text = open(os.path.join(ROOT, "components", component_dir,
                           "README.md")).read()
  blocks = re.findall(r"## Example\s+```python\n(.*?)```", text, re.S)
  assert len(blocks) == 1, f"{component_dir}/README.md needs one example"
  return blocks[0]


@pytest.mark.e2e
def test_lite_converter_readme_example(trained_pipeline):
  from conftest import PIPELINE_NAME  # pylint: disable=g-import-not-at-top
  from tfx_compression.pipelines import results  # pylint: disable=g-import-not-at-top
  namespace = {"DATA_ROOT": trained_pipeline.data_root,
               "PIPELINE_NAME": PIPELINE_NAME,
               "PIPELINE_ROOT": trained_pipeline.pipeline_root,
               "METADATA_PATH": trained_pipeline.metadata_path}
  exec(_example("lite_converter"), namespace)  # pylint: disable=exec-used
  outputs = results.latest_outputs(trained_pipeline.metadata_path,
                                   PIPELINE_NAME, namespace["converter"].id)
  (model,) = outputs["tflite_model"]
  assert model.get_custom_property(properties.OPTIMIZATION) == "dynamic_range"
  assert os.path.isfile(os.path.join(model.uri, "Format-Serving", "tflite"))
  # ExampleGen and Trainer came from the session fixture's cache.
  trainer_model = results.latest_outputs(
      trained_pipeline.metadata_path, PIPELINE_NAME, "Trainer")["model"][0]
  assert trainer_model.uri == trained_pipeline.model.uri
