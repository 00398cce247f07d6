"""The executor skeleton: each channel resolves to exactly one artifact."""

import pytest

from model_factories import model_artifact
from tfx_compression.framework import spec_channels
from tfx_compression.framework import step_executor
from tfx_compression.errors import InputMismatchError
from tfx_compression.lite_converter import executor
from tfx_compression.lite_converter import spec
from tfx_compression.lite_converter.config import LiteConverterConfig


def test_resolve_gives_one_artifact_per_key_and_none_for_empty_inputs():
  model = model_artifact("/m")
  resolved = step_executor.resolve({"model": [model], "examples": []})
  assert resolved == {"model": model, "examples": None}
  assert resolved.uri("model") == "/m" and resolved.uri("examples") is None


def test_several_artifacts_or_a_missing_output_are_named():
  with pytest.raises(InputMismatchError,
                     match=r"'model' must hold one artifact; got 2: "
                           r"\['/a', '/b'\]"):
    step_executor.resolve({"model": [model_artifact("/a"),
                                     model_artifact("/b")]})
  with pytest.raises(InputMismatchError,
                     match=r"'tflite_model' must hold one artifact; got 0"):
    step_executor.resolve({"tflite_model": []}, optional=False)


def test_an_executor_refuses_two_models_before_any_work(tmp_path):
  out = model_artifact(str(tmp_path / "out"))
  with pytest.raises(InputMismatchError, match="'model' must hold one"):
    executor.Executor().Do(
        {spec_channels.MODEL_KEY: [model_artifact("/a"), model_artifact("/b")]},
        {spec.TFLITE_MODEL_KEY: [out]},
        LiteConverterConfig().to_exec_properties())
  assert not (tmp_path / "out").exists()
