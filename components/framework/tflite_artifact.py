"""Publishing a TFLite Model artifact: one layout and one set of properties.

Every producer of TFLite models (LiteConverter, PostTrainingQuantizer,
QuantizationAwareTrainer) writes `<uri>/Format-Serving/tflite` and the same
custom properties through `publish`, then adds its own.
"""

import dataclasses
import json
from typing import Any, Dict

from tfx_compression.framework import artifact_io
from tfx_compression.framework import properties


def publish(artifact, result, inputs, serving=None) -> None:
  """Writes the flatbuffer of `result` into `artifact` and sets its properties.

  Args:
    artifact: The output Model artifact.
    result: A `validated_conversion.ConversionResult`.
    inputs: The `TfliteInputs` the model takes.
    serving: The `post_validation.Agreement` with serving_default, or None.
  """
  artifact_io.write_bytes(artifact_io.tflite_path(artifact.uri),
                          result.model_bytes)
  summary, agreement = result.summary, result.agreement
  artifact.set_string_custom_property(properties.MODEL_FORMAT,
                                      properties.FORMAT_TFLITE)
  artifact.set_string_custom_property(properties.TFLITE_INPUTS, inputs.value)
  artifact.set_int_custom_property(properties.SIZE_BYTES, summary.size_bytes)
  artifact.set_int_custom_property(properties.GZIP_SIZE_BYTES,
                                   summary.gzip_size_bytes)
  artifact.set_string_custom_property(
      properties.TENSOR_DTYPE_COUNTS, json.dumps(summary.tensor_dtype_counts))
  artifact.set_string_custom_property(properties.INPUT_DTYPES,
                                      json.dumps(summary.input_dtypes))
  artifact.set_string_custom_property(properties.OUTPUT_DTYPES,
                                      json.dumps(summary.output_dtypes))
  artifact.set_int_custom_property(
      properties.VALIDATION_EXAMPLES,
      agreement.num_examples if result.validated_on_examples else 0)
  artifact.set_float_custom_property(properties.VALIDATION_MAX_ABS_DIFF,
                                     agreement.max_abs_diff)
  if agreement.argmax_agreement is not None:
    artifact.set_float_custom_property(properties.VALIDATION_ARGMAX_AGREEMENT,
                                       agreement.argmax_agreement)
  if agreement.relative_error is not None:
    artifact.set_float_custom_property(properties.VALIDATION_RELATIVE_ERROR,
                                       agreement.relative_error)
  if summary.flex_ops:
    artifact.set_string_custom_property(properties.FLEX_OPS,
                                        json.dumps(summary.flex_ops))
  if summary.fixed_batch:
    artifact.set_int_custom_property(properties.FIXED_BATCH, 1)
  if agreement.task is not None:
    artifact.set_string_custom_property(properties.TASK, agreement.task)
  if serving is not None:
    artifact.set_float_custom_property(properties.SERVING_MAX_ABS_DIFF,
                                       serving.max_abs_diff)
    if serving.argmax_agreement is not None:
      artifact.set_float_custom_property(properties.SERVING_ARGMAX_AGREEMENT,
                                         serving.argmax_agreement)


def report(result, inputs, serving=None) -> Dict[str, Any]:
  """The report.json entries every TFLite producer writes."""
  return {
      "tflite_inputs": inputs.value,
      "summary": dataclasses.asdict(result.summary),
      "validation": dict(dataclasses.asdict(result.agreement),
                         on_real_examples=result.validated_on_examples),
      "serving_validation": (None if serving is None else
                             dataclasses.asdict(serving)),
  }
