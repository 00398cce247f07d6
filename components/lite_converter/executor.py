"""LiteConverter executor: artifacts in, a validated TFLite Model artifact out."""

from tfx.dsl.components.base import base_executor

from tfx_compression.framework import spec_channels
from tfx_compression.framework import artifact_io
from tfx_compression.framework import conversion_artifacts
from tfx_compression.framework import properties
from tfx_compression.framework import step_executor
from tfx_compression.framework import tflite_artifact
from tfx_compression.lite_converter import spec
from tfx_compression.lite_converter.config import LiteConverterConfig


class Executor(step_executor.StepExecutor, base_executor.BaseExecutor):
  """Converts the input model to TFLite and validates it on real examples."""

  COMPONENT = "LiteConverter"
  CONFIG = LiteConverterConfig

  def run(self, config, inputs, outputs) -> str:
    from tfx_compression.lite_converter import runner  # pylint: disable=g-import-not-at-top
    source, output = inputs[spec_channels.MODEL_KEY], outputs[spec.TFLITE_MODEL_KEY]
    prepared = conversion_artifacts.prepare(
        source.uri, inputs.get(spec_channels.EXAMPLES_KEY),
        inputs.uri(spec_channels.TRANSFORM_GRAPH_KEY), config.inputs,
        config.validation_split, config.num_validation_examples,
        self.COMPONENT)
    sparse = runner.sparse(config, source.get_string_custom_property(
        properties.PRUNING_POLICY))
    converted = runner.convert(prepared, config, sparse)
    result, serving = converted.result, converted.serving
    tflite_inputs = prepared.source.inputs
    tflite_artifact.publish(output, result, tflite_inputs, serving)
    output.set_string_custom_property(properties.OPTIMIZATION,
                                      config.optimization.value)
    output.set_int_custom_property(properties.SPARSE_ENCODING, int(sparse))
    report = dict(tflite_artifact.report(result, tflite_inputs, serving),
                  sparse_encoding=_sparse_report(result.model_bytes, sparse),
                  source_model=source.uri,
                  config=config.to_dict(),
                  inputs_from=prepared.source.space.description,
                  source_saved_with=prepared.loaded.info.saved_with)
    artifact_io.write_report(output.uri, report)
    return f"wrote {output.uri}: {report['summary']}"


def _sparse_report(model_bytes: bytes, sparse: bool):
  """What the sparse encoding gave: tensors, DENSIFY ops, this host's path."""
  if not sparse:
    return None
  from tfx_compression.lib.tflite import sparse_inference  # pylint: disable=g-import-not-at-top
  return sparse_inference.describe(model_bytes)
