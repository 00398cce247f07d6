"""Sparsity that XNNPACK can run sparse (issue #27): the Pruner's policy
'xnnpack', LiteConverter's sparse_encoding, and what the reports say of it."""

import json
import os

import pytest

import executor_harness
from model_factories import model_artifact
from model_factories import random_training_data
from model_factories import save_keras
from model_factories import small_cnn
from tfx_compression.compression_evaluator import report as report_page
from tfx_compression.errors import CompressionConfigError
from tfx_compression.errors import UnsupportedModelError
from tfx_compression.framework import artifact_io
from tfx_compression.framework import properties
from tfx_compression.framework import spec_channels
from tfx_compression.lib.tflite import sparse_inference
from tfx_compression.lite_converter import spec
from tfx_compression.lite_converter.config import LiteConverterConfig
from tfx_compression.pruner.config import ConstantSparsity
from tfx_compression.pruner.config import PrunerConfig


def _xnnpack_shaped():
  """The structure XNNPACK's sparse path takes, MobileNet-like, 16x16x3:
  ZeroPadding2D(1) + 3x3/2 'valid' stem, 1x1 and depthwise convolutions,
  GlobalAveragePooling2D, a Dense head."""
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  keras.utils.set_random_seed(0)
  layers = keras.layers
  image = keras.Input((16, 16, 3), name="image")
  x = layers.ZeroPadding2D(((1, 1), (1, 1)), name="stem_pad")(image)
  x = layers.Conv2D(8, 3, strides=2, padding="valid", name="stem")(x)
  x = layers.ReLU(6.0, name="stem_relu")(x)
  x = layers.Conv2D(32, 1, name="expand")(x)
  x = layers.ReLU(6.0, name="expand_relu")(x)
  x = layers.DepthwiseConv2D(3, padding="same", name="depthwise")(x)
  x = layers.ReLU(6.0, name="depthwise_relu")(x)
  x = layers.Conv2D(32, 1, name="project")(x)
  x = layers.GlobalAveragePooling2D(name="pool")(x)
  out = layers.Dense(4, activation="softmax", name="probabilities")(x)
  model = keras.Model(image, out)
  model.compile("adam", "sparse_categorical_crossentropy",
                metrics=["accuracy"])
  return model


def _config(**kwargs):
  from tfx_compression.fine_tuning.config import FineTuning  # pylint: disable=g-import-not-at-top
  return PrunerConfig(
      policy="xnnpack", schedule=ConstantSparsity(target_sparsity=0.8),
      fine_tuning=FineTuning(epochs=1, steps_per_epoch=4, batch_size=16),
      **kwargs)


@pytest.fixture(scope="module")
def pruned(tmp_path_factory):
  """The XNNPACK-shaped model pruned with policy 'xnnpack', as a Pruner
  output artifact would hold it (its `pruning_policy` property set)."""
  from tfx_compression.pruner import runner  # pylint: disable=g-import-not-at-top
  work = tmp_path_factory.mktemp("xnnpack")
  result = runner.prune(_xnnpack_shaped(), _config(), random_training_data((16, 16, 3), 4),
                        str(work / "logs"))
  save_keras(result.stripped_model, str(work / "model" / "Format-Serving"))
  artifact = model_artifact(str(work / "model"))
  artifact.set_string_custom_property(properties.PRUNING_POLICY, "xnnpack")
  return result, artifact, work


def test_policy_prunes_only_the_1x1_convolutions(pruned):
  result, _, _ = pruned
  assert result.selection.selected == ["expand", "project"]
  for name in ("stem", "probabilities"):
    assert result.selection.skipped[name] == (
        "kept dense: policy 'xnnpack' prunes 1x1 convolutions only")
  sparsity = {l.name: l.sparsity for l in result.layers if l.pruned}
  assert sparsity == pytest.approx({"expand": 0.8, "project": 0.8}, abs=0.01)


def test_policy_names_what_to_change_for_a_model_xnnpack_cannot_run(tmp_path):
  from tfx_compression.pruner import runner  # pylint: disable=g-import-not-at-top
  model = small_cnn()  # no padded stride-2 stem, Flatten instead of pooling
  model.compile("adam", "sparse_categorical_crossentropy")
  with pytest.raises(UnsupportedModelError,
                     match=r"(?s)policy 'xnnpack'.*ZeroPadding2D.*"
                           r"set the Pruner's policy 'none'"):
    runner.prune(model, _config(), random_training_data(), str(tmp_path))


def test_policy_config_is_checked_and_round_trips():
  with pytest.raises(CompressionConfigError,
                     match=r"policy 'xnnpack'.*granularity must be "
                           r"'unstructured' or 'block'; got granularity "
                           r"'m_by_n'"):
    PrunerConfig(policy="xnnpack", granularity="m_by_n")
  with pytest.raises(CompressionConfigError, match="policy"):
    PrunerConfig(policy="arm")
  config = _config()
  assert PrunerConfig.from_dict(config.to_dict()) == config
  assert config.to_dict()["policy"] == "xnnpack"


def _convert(artifact, out_dir, **config):
  return executor_harness.run(
      "LiteConverter", {spec_channels.MODEL_KEY: artifact}, out_dir,
      LiteConverterConfig(inputs="model", **config))[spec.TFLITE_MODEL_KEY]


def test_lite_converter_keeps_xnnpack_pruned_weights_sparse(pruned):
  _, artifact, work = pruned
  sparse = _convert(artifact, str(work / "auto"))  # auto: from the property
  dense = _convert(artifact, str(work / "dense"), sparse_encoding="dense")
  assert sparse.get_custom_property(properties.SPARSE_ENCODING) == 1
  assert dense.get_custom_property(properties.SPARSE_ENCODING) == 0
  sparse_bytes = open(artifact_io.tflite_path(sparse.uri), "rb").read()
  dense_bytes = open(artifact_io.tflite_path(dense.uri), "rb").read()
  found = sparse_inference.encoding(sparse_bytes)
  assert (found.sparse_1x1_kernels, found.densify_ops) == (2, 2)
  assert sparse_inference.encoding(dense_bytes).sparse_tensors == 0
  assert len(sparse_bytes) < len(dense_bytes)
  # The evaluator's weight sparsity reads the same 80 % from both encodings.
  from tfx_compression.lib.tflite import benchmark  # pylint: disable=g-import-not-at-top
  for data in (sparse_bytes, dense_bytes):
    pointwise = [v for k, v in benchmark.weight_sparsity(data).items()
                 if ", 1, 1, " in k]
    assert pointwise == pytest.approx([0.8, 0.8], abs=0.01)
  report = json.load(open(os.path.join(sparse.uri, "report.json")))
  assert report["sparse_encoding"]["eligible"] is True
  assert report["sparse_encoding"]["note"]
  assert json.load(open(os.path.join(dense.uri, "report.json")))[
      "sparse_encoding"] is None


def test_sparse_encoding_auto_stays_dense_without_the_policy(pruned):
  _, _, work = pruned
  plain = model_artifact(str(work / "model"))  # no pruning_policy property
  out = _convert(plain, str(work / "plain"))
  assert out.get_custom_property(properties.SPARSE_ENCODING) == 0


@pytest.mark.parametrize("machine, flags, takes", [
    ("x86_64", ("sse4_2", "avx", "avx2"), False),
    ("x86_64", ("sse4_2",), True),
    ("aarch64", (), True),
    ("riscv64", (), None),
])
def test_host_sparse_path_follows_xnnpack(machine, flags, takes):
  assert sparse_inference.host_sparse_path(machine, flags)[0] is takes


def test_evaluator_page_says_whether_xnnpack_runs_it_sparse(pruned):
  _, artifact, work = pruned
  out = _convert(artifact, str(work / "page"))
  facts = sparse_inference.describe(
      open(artifact_io.tflite_path(out.uri), "rb").read())
  page = report_page.render({
      "verdict": "BLESSED", "candidate": {
          "size_bytes": 1, "gzip_size_bytes": 1, "sparse_inference": facts},
      "baseline": {"size_bytes": 1, "gzip_size_bytes": 1,
                   "sparse_inference": None}})
  assert "<h2>Sparse inference</h2>" in page
  assert ("candidate: 2 sparse-encoded weight tensors (2 1x1 convolution "
          "kernels, 2 DENSIFY ops)") in page
  assert facts["host"] in page


def test_policy_names_the_1x1_convolutions_a_selection_leaves_out():
  from tfx_compression.lib.sparsity import pruning  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.sparsity import xnnpack_policy  # pylint: disable=g-import-not-at-top
  selection = pruning.Selection(selected=["stem", "probabilities"],
                                prunable=[], skipped={})
  with pytest.raises(CompressionConfigError,
                     match=r"policy 'xnnpack' prunes 1x1 convolutions only, "
                           r"and the selection holds none: selected \['stem', "
                           r"'probabilities'\]; the model's 1x1 convolutions: "
                           r"\['expand', 'project'\]"):
    xnnpack_policy.restrict(_xnnpack_shaped(), selection)
