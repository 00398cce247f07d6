"""Each component README's example runs, in the session's pipeline workdir."""

import os
import re

import pytest

from tfx_compression.framework import properties

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _example(component_dir: str) -> str:
  text = open(os.path.join(ROOT, "components", component_dir,
                           "README.md")).read()
  blocks = re.findall(r"## Example\s+```python\n(.*?)```", text, re.S)
  assert len(blocks) == 1, f"{component_dir}/README.md needs one example"
  return blocks[0]


def _run_example(component_dir: str, trained_pipeline) -> dict:
  from conftest import PIPELINE_NAME  # pylint: disable=g-import-not-at-top
  namespace = {"DATA_ROOT": trained_pipeline.data_root,
               "PIPELINE_NAME": PIPELINE_NAME,
               "PIPELINE_ROOT": trained_pipeline.pipeline_root,
               "METADATA_PATH": trained_pipeline.metadata_path}
  exec(_example(component_dir), namespace)  # pylint: disable=exec-used
  return namespace


def _outputs(trained_pipeline, component) -> dict:
  from conftest import PIPELINE_NAME  # pylint: disable=g-import-not-at-top
  from tfx_compression.pipelines import results  # pylint: disable=g-import-not-at-top
  return results.latest_outputs(trained_pipeline.metadata_path, PIPELINE_NAME,
                                component.id)


@pytest.mark.e2e
def test_lite_converter_readme_example(trained_pipeline):
  from conftest import PIPELINE_NAME  # pylint: disable=g-import-not-at-top
  from tfx_compression.pipelines import results  # pylint: disable=g-import-not-at-top
  namespace = _run_example("lite_converter", trained_pipeline)
  outputs = _outputs(trained_pipeline, namespace["converter"])
  (model,) = outputs["tflite_model"]
  assert model.get_custom_property(properties.OPTIMIZATION) == "dynamic_range"
  assert os.path.isfile(os.path.join(model.uri, "Format-Serving", "tflite"))
  # ExampleGen and Trainer came from the session fixture's cache.
  trainer_model = results.latest_outputs(
      trained_pipeline.metadata_path, PIPELINE_NAME, "Trainer")["model"][0]
  assert trainer_model.uri == trained_pipeline.model.uri


@pytest.mark.e2e
def test_pruner_readme_example(trained_pipeline):
  namespace = _run_example("pruner", trained_pipeline)
  (pruned,) = _outputs(trained_pipeline, namespace["pruner"])["pruned_model"]
  assert pruned.get_custom_property(
      properties.PRUNED_LAYERS_SPARSITY) == pytest.approx(0.8, abs=0.01)
  assert pruned.get_custom_property("eval_accuracy") > 0.9
  (tflite,) = _outputs(trained_pipeline, namespace["converter"])["tflite_model"]
  assert tflite.get_custom_property(properties.VALIDATION_ARGMAX_AGREEMENT) == 1.0


@pytest.mark.e2e
def test_post_training_quantizer_readme_example(trained_pipeline):
  import json  # pylint: disable=g-import-not-at-top
  from tfx_compression.pipelines import results  # pylint: disable=g-import-not-at-top
  from conftest import PIPELINE_NAME  # pylint: disable=g-import-not-at-top
  namespace = _run_example("post_training_quantizer", trained_pipeline)
  outputs = _outputs(trained_pipeline, namespace["quantizer"])
  (model,) = outputs["quantized_model"]
  (sample,) = outputs["calibration_examples"]
  assert model.get_custom_property(properties.QUANTIZATION_MODE) == "int8"
  assert model.get_custom_property(properties.CALIBRATION_EXAMPLES) == 200
  assert model.get_custom_property(properties.VALIDATION_ARGMAX_AGREEMENT) >= 0.97
  assert os.path.isfile(os.path.join(model.uri, "Format-Serving", "tflite"))
  # The accuracy budget was searched for: the trace is published with it.
  assert model.get_custom_property(properties.ACCURACY_BUDGET_MET) == 1
  assert os.path.isfile(os.path.join(model.uri, "search_trace.csv"))
  # The sample is a published Examples artifact: 20 of each digit.
  assert json.loads(sample.split_names) == ["calibration"]
  stats = json.load(open(os.path.join(sample.uri, "sampling_stats.json")))
  assert stats["sample_by_label"] == {str(d): 20 for d in range(10)}
  trainer_model = results.latest_outputs(
      trained_pipeline.metadata_path, PIPELINE_NAME, "Trainer")["model"][0]
  assert trainer_model.uri == trained_pipeline.model.uri


@pytest.mark.e2e
def test_quantization_aware_trainer_readme_example(trained_pipeline):
  namespace = _run_example("quantization_aware_trainer", trained_pipeline)
  (model,) = _outputs(trained_pipeline, namespace["qat"])["qat_model"]
  assert model.get_custom_property(properties.QAT_SCHEME) == "prune_preserve"
  assert model.get_custom_property(
      properties.INT8_KERNEL_SPARSITY) == pytest.approx(0.8, abs=0.02)
  assert model.get_custom_property(properties.TFLITE_ACCURACY) > 0.9


@pytest.mark.e2e
def test_compression_evaluator_readme_example(trained_pipeline):
  import glob  # pylint: disable=g-import-not-at-top
  import json  # pylint: disable=g-import-not-at-top
  namespace = _run_example("compression_evaluator", trained_pipeline)
  outputs = _outputs(trained_pipeline, namespace["evaluator"])
  (blessing,) = outputs["blessing"]
  (evaluation,) = outputs["evaluation"]
  assert blessing.get_int_custom_property("blessed") == 1
  report = json.load(open(os.path.join(evaluation.uri, "report.json")))
  assert report["verdict"] == "BLESSED"
  assert "sparse_categorical_accuracy[label:9]" in {
      c["name"] for c in report["checks"]}
  (pushed,) = _outputs(trained_pipeline, namespace["pusher"])["pushed_model"]
  assert pushed.get_int_custom_property("pushed") == 1
  serving = os.path.join(os.path.dirname(trained_pipeline.pipeline_root),
                         "serving")
  assert glob.glob(os.path.join(serving, "*", "tflite"))


@pytest.mark.e2e
def test_micro_exporter_readme_example(trained_pipeline):
  namespace = _run_example("micro_exporter", trained_pipeline)
  (micro,) = _outputs(trained_pipeline, namespace["micro"])["micro_model"]
  assert micro.get_custom_property(properties.MODEL_FORMAT) == "tflite_micro"
  assert micro.get_custom_property(properties.TENSOR_ARENA_BYTES) > (
      micro.get_custom_property(properties.ARENA_PEAK_BYTES))
  header = open(os.path.join(micro.uri, "Format-Serving", "micro",
                             "model_data.h")).read()
  assert "extern const unsigned char g_model_data[];" in header


@pytest.mark.e2e
def test_weight_clusterer_readme_example(trained_pipeline):
  namespace = _run_example("weight_clusterer", trained_pipeline)
  (clustered,) = _outputs(trained_pipeline,
                          namespace["clusterer"])["clustered_model"]
  assert clustered.get_custom_property(properties.WEIGHT_CLUSTERS) == 16
  assert os.path.isfile(os.path.join(clustered.uri, "Format-Serving",
                                     "saved_model.pb"))
  assert clustered.get_custom_property("eval_accuracy") > 0.85


@pytest.mark.e2e
def test_coreml_converter_readme_example(trained_pipeline):
  namespace = _run_example("coreml_converter", trained_pipeline)
  (coreml,) = _outputs(trained_pipeline, namespace["coreml"])["coreml_model"]
  assert coreml.get_custom_property(properties.MODEL_FORMAT) == (
      "coreml_mlprogram")
  assert os.path.isdir(os.path.join(coreml.uri, "Format-Serving", "coreml",
                                    "model.mlpackage"))


@pytest.mark.e2e
def test_candidate_selector_readme_example_and_cond(trained_pipeline):
  """The example's Pusher inside tfx.dsl.Cond runs when the selector blesses,
  is skipped when it does not, and the example compiles for Kubeflow V2."""
  # pylint: disable=g-import-not-at-top
  import glob
  from tfx.components.pusher.component import Pusher
  from tfx.orchestration import pipeline as tfx_pipeline
  from tfx.orchestration.local.local_dag_runner import LocalDagRunner
  from tfx.proto import pusher_pb2
  from tfx_compression import CandidateSelector, CandidateSelectorConfig
  from tfx_compression.pipelines import kubeflow
  namespace = _run_example("candidate_selector", trained_pipeline)
  selector = _outputs(trained_pipeline, namespace["selector"])
  (blessing,) = selector["blessing"]
  (model,) = selector["model"]
  assert blessing.get_int_custom_property("blessed") == 1
  assert model.get_string_custom_property("selected_variant") == (
      "dynamic_range")
  (pushed,) = _outputs(trained_pipeline, namespace["pusher"])["pushed_model"]
  assert pushed.get_int_custom_property("pushed") == 1
  serving = os.path.join(os.path.dirname(trained_pipeline.pipeline_root),
                         "selected")
  (pushed_file,) = glob.glob(os.path.join(serving, "*", "tflite"))
  assert open(pushed_file, "rb").read() == open(os.path.join(
      model.uri, "Format-Serving", "tflite"), "rb").read()
  (comparison,) = selector["comparison"]
  assert os.path.isfile(os.path.join(comparison.uri, "comparison.html"))

  # Compiled for Kubeflow V2, the Cond is the Pusher task's trigger policy.
  job = kubeflow.compile_job(namespace["compression_pipeline"],
                             "registry.example/tfx-compression:test")
  condition = job["pipelineSpec"]["root"]["dag"]["tasks"][
      namespace["pusher"].id]["triggerPolicy"]["condition"]
  assert "blessed" in condition and "== 1" in condition, condition

  # The same Cond with a selector that blesses nothing (no candidate has the
  # figure its objective reads): the Pusher is skipped. Only these two nodes
  # run; the example's nodes come from the cache.
  refusing = CandidateSelector(
      namespace["evaluators"], CandidateSelectorConfig(
          objective="weights", weights={"metric_no_such_metric": 1.0}),
  ).with_id("CandidateSelector.refusing")
  with namespace["Cond"](refusing.outputs["blessing"].future()[0]
                         .custom_property("blessed") == 1):
    skipped = Pusher(
        model=refusing.outputs["model"],
        push_destination=pusher_pb2.PushDestination(
            filesystem=pusher_pb2.PushDestination.Filesystem(
                base_directory=serving + "_refusing"))).with_id(
                    "Pusher.refusing")
  example = namespace["compression_pipeline"]
  LocalDagRunner().run(tfx_pipeline.Pipeline(
      pipeline_name=example.pipeline_info.pipeline_name,
      pipeline_root=example.pipeline_info.pipeline_root,
      components=namespace["components"] + [
          namespace["selector"], namespace["pusher"], refusing, skipped],
      enable_cache=True,
      metadata_connection_config=example.metadata_connection_config))
  (refused,) = _outputs(trained_pipeline, refusing)["blessing"]
  assert refused.get_int_custom_property("blessed") == 0
  assert _outputs(trained_pipeline, skipped) == {}
  assert not os.path.exists(serving + "_refusing")


@pytest.mark.e2e
def test_preflight_readme_example(trained_pipeline):
  from tfx_compression.errors import InsufficientExamplesError  # pylint: disable=g-import-not-at-top
  namespace = _run_example("preflight", trained_pipeline)
  error = namespace["error"]
  assert isinstance(error, InsufficientExamplesError)
  assert str(error).startswith(
      "ptq_config.num_calibration_examples is 100000, but the split(s) hold "
      "'train' ")
