"""Convert a Keras model to TFLite and prove the result on real inputs.

The pre-validate -> convert -> post-validate sequence every TFLite-producing
component shares (LiteConverter, PostTrainingQuantizer, QAT export).
"""

import dataclasses
from typing import Callable, Mapping, Optional, Sequence

from absl import logging
import numpy as np

from tfx_compression.errors import ConversionError
from tfx_compression.errors import InputMismatchError
from tfx_compression.errors import ModelValidationError
from tfx_compression.lib.conversion import model_function
from tfx_compression.lib.conversion import tflite_converter
from tfx_compression.lib.tflite import inspection
from tfx_compression.lib.tflite import inference
from tfx_compression.lib.conversion import post_validation
from tfx_compression.lib.options.conversion import Optimization
from tfx_compression.lib.options.conversion import OpSet


@dataclasses.dataclass(frozen=True)
class ConversionResult:
  """A validated TFLite model and what was measured on it."""

  model_bytes: bytes
  summary: inspection.TfliteSummary
  agreement: post_validation.Agreement
  # False when no real examples were given and zeros were used instead.
  validated_on_examples: bool


def synthetic_inputs(keras_model) -> Mapping[str, np.ndarray]:
  """One all-zeros example per input, for a smoke run without real data."""
  specs = model_function.as_function(keras_model).input_specs
  return {name: np.zeros((1,) + spec.shape,
                         dtype=object if spec.dtype == "string" else spec.dtype)
          for name, spec in specs.items()}


def convert_validated(keras_model,
                      inputs: Optional[Mapping[str, np.ndarray]],
                      optimization: Optimization = Optimization.NONE,
                      op_set: OpSet = OpSet.AUTO,
                      min_argmax_agreement: float = 0.0,
                      configure: Optional[Callable[[object], None]] = None
                      ) -> ConversionResult:
  """Converts `keras_model` and checks the result against it.

  Args:
    keras_model: A functional or sequential tf_keras model, or a
      `model_function.ModelFunction`.
    inputs: Real examples (input name -> batch array); None for a smoke run
      on zeros.
    optimization: See `tflite_converter.convert_keras`.
    op_set: See `tflite_converter.convert_keras`.
    min_argmax_agreement: Fail below this share of matching argmax.
    configure: See `tflite_converter.convert_keras`.

  Returns:
    The model bytes with its summary and measured agreement.

  Raises:
    UnsupportedModelError, ConversionError: conversion is not possible.
    InputMismatchError: TFLite input names differ from the Keras ones.
    ModelValidationError: the result fails on the validation inputs.
  """
  keras_model = model_function.as_function(keras_model)
  model_bytes = tflite_converter.convert_keras(
      keras_model, optimization=optimization, op_set=op_set,
      configure=configure)
  return validate(model_bytes, keras_model, inputs, min_argmax_agreement)


def validate(model_bytes: bytes,
             keras_model,
             inputs: Optional[Mapping[str, np.ndarray]],
             min_argmax_agreement: float = 0.0) -> ConversionResult:
  """Post-validates TFLite bytes converted from `keras_model`.

  The second half of `convert_validated`, for models produced another way
  (e.g. selectively quantized by QuantizationDebugger).

  Raises:
    InputMismatchError: TFLite input names differ from the Keras ones.
    ModelValidationError: the model fails on the validation inputs.
  """
  keras_model = model_function.as_function(keras_model)
  summary = inspection.summarize(model_bytes)
  keras_names = sorted(keras_model.input_specs)
  if summary.input_names != keras_names:
    raise InputMismatchError(
        f"TFLite input names {summary.input_names} differ from the Keras input "
        f"names {keras_names}; runtimes that feed by name would misfeed them.")
  if not summary.xnnpack_delegated:
    logging.warning(
        "XNNPACK did not take the TFLite model of %r: it will run on TFLite's "
        "own kernels, typically 2-3x slower. The usual cause is a tensor whose "
        "shape is computed at run time (e.g. tf.reshape to a tf.shape-based "
        "shape); give such shapes as constants, with -1 for the batch.",
        keras_model.name)
  real = inputs is not None
  try:
    agreement = post_validation.compare_with_keras(
        model_bytes, keras_model,
        inputs if real else synthetic_inputs(keras_model))
  except RuntimeError as e:
    if "hashtable need to be initialized" not in str(e):
      raise
    raise ConversionError(
        f"The TFLite model of {keras_model.name!r} cannot run: a lookup "
        "table is uninitialised (the TFLite converter drops initializers "
        "other than constant keys and values; tf.Transform's text-file "
        "vocabularies are inlined, this table's initializer is not one of "
        "them). Convert the model alone over transformed features: "
        "inputs='model' (the plan's lite_config and ptq_config, or "
        "qat.inputs); the device then applies the preprocessing.") from e
  if (real and agreement.argmax_agreement is not None and
      agreement.argmax_agreement < min_argmax_agreement):
    raise ModelValidationError(
        f"The TFLite model's {_decision(agreement)} matches the Keras model's "
        f"on only {agreement.argmax_agreement:.3f} of "
        f"{agreement.num_examples} validation examples; min_argmax_agreement "
        f"is {min_argmax_agreement}.")
  if real:
    check_relative_error(agreement, "the Keras model")
  return ConversionResult(model_bytes=model_bytes, summary=summary,
                          agreement=agreement, validated_on_examples=real)


def _decision(agreement) -> str:
  return "decision (score >= 0.5)" if agreement.task == "binary" else "argmax"


def check_relative_error(agreement, reference: str) -> None:
  """Refuses regression outputs further from `reference` than allowed.

  Raises:
    ModelValidationError: `relative_error` over `task.MAX_RELATIVE_ERROR`.
  """
  from tfx_compression.lib.evaluation import task as task_lib  # pylint: disable=g-import-not-at-top
  error = agreement.relative_error
  if error is not None and not error <= task_lib.MAX_RELATIVE_ERROR:
    raise ModelValidationError(
        f"The TFLite model's outputs differ from {reference}'s by "
        f"{error:.3f} of their spread (mean absolute difference / mean "
        f"absolute deviation, on {agreement.num_examples} examples); at most "
        f"{task_lib.MAX_RELATIVE_ERROR} is accepted for regression outputs. "
        "Keep the sensitive layers float (float_layers) or use a milder "
        "optimization (float16, dynamic_range).")


def check_against_serving(model_bytes: Optional[bytes], loaded,
                          serialized: Sequence[bytes],
                          inputs: Mapping[str, np.ndarray],
                          min_argmax_agreement: float,
                          predict=None) -> post_validation.Agreement:
  """Compares the TFLite model with `serving_default` on the same records.

  The end-to-end check of a model taking the serving features: it must
  answer what TF Serving answers for the serialized tf.Examples, whatever
  the signature does between parsing and the model. `predict` replaces the
  TFLite model (e.g. the input model's function for a fine-tuned model).

  Raises:
    ModelValidationError: fewer matching argmax than `min_argmax_agreement`.
  """
  expected = loaded.serving_outputs(serialized)
  got = (predict(inputs) if predict is not None else
         inference.predict(model_bytes, inputs))
  first = next(iter(expected.values())) if len(expected) == 1 else None
  agreement = post_validation.compare_outputs(
      expected, got, len(serialized),
      post_validation.model_task_of(getattr(loaded, "function", None), first))
  check_relative_error(agreement, "serving_default")
  if (agreement.argmax_agreement is not None and
      agreement.argmax_agreement < min_argmax_agreement):
    raise ModelValidationError(
        f"The {'input' if predict is not None else 'TFLite'} model's "
        f"{_decision(agreement)} matches serving_default's on only "
        f"{agreement.argmax_agreement:.3f} of {agreement.num_examples} "
        "serialized examples (min_argmax_agreement "
        f"{min_argmax_agreement}): the serving signature computes something "
        "the converted model does not (preprocessing outside the Transform "
        "graph and the model?).")
  return agreement
