"""Post-validation: a converted model must agree with its Keras source on real inputs."""

import dataclasses
from typing import Mapping, Optional

import numpy as np

from tfx_compression.errors import ModelValidationError
from tfx_compression.lib import tflite_run


@dataclasses.dataclass(frozen=True)
class Agreement:
  """How closely a TFLite model reproduces its Keras source."""

  num_examples: int
  max_abs_diff: float
  # Share of examples whose argmax matches; None for outputs of width 1.
  argmax_agreement: Optional[float]




def _pair_outputs(keras_out, lite_out):
  """Matches TFLite outputs to Keras outputs: by name, else by order."""
  if set(keras_out) == set(lite_out):
    return [(keras_out[k], lite_out[k], k) for k in keras_out]
  if len(keras_out) == len(lite_out):
    lite_keys = sorted(lite_out, key=lambda k: (len(k), k))
    return [(keras_out[k], lite_out[lk], k)
            for k, lk in zip(keras_out, lite_keys)]
  raise ModelValidationError(
      f"TFLite outputs {sorted(lite_out)} do not correspond to the Keras "
      f"outputs {sorted(keras_out)}.")


def compare_with_keras(model_bytes: bytes, keras_model,
                       inputs: Mapping[str, np.ndarray]) -> Agreement:
  """Runs `inputs` through both models and measures their agreement.

  `keras_model` may also be a `model_function.ModelFunction` (the same model
  as a TensorFlow function, e.g. behind its Transform graph).

  Raises:
    ModelValidationError: no inputs, NaN or infinite outputs, or output
      shapes that differ between the two models.
  """
  n = len(next(iter(inputs.values()))) if inputs else 0
  if n == 0:
    raise ModelValidationError("No validation examples to run.")
  from tfx_compression.lib import model_function  # pylint: disable=g-import-not-at-top
  keras_out = model_function.as_function(keras_model).predict(inputs)
  return compare_outputs(keras_out, tflite_run.predict(model_bytes, inputs), n)


def compare_outputs(keras_out: Mapping[str, np.ndarray],
                    lite_out: Mapping[str, np.ndarray], n: int) -> Agreement:
  """Measures how closely `lite_out` reproduces the reference `keras_out`.

  Raises:
    ModelValidationError: NaN or infinite outputs, or shapes that differ.
  """
  max_diff, agree = 0.0, []
  for expected, actual, name in _pair_outputs(keras_out, lite_out):
    expected = np.asarray(expected, np.float32)
    actual = np.asarray(actual, np.float32)
    if not np.all(np.isfinite(actual)):
      raise ModelValidationError(
          f"TFLite output {name!r} has NaN or infinite values on "
          f"{int(np.sum(~np.isfinite(actual)))} entries.")
    if expected.shape != actual.shape:
      raise ModelValidationError(
          f"TFLite output {name!r} has shape {actual.shape}; the Keras model "
          f"gives {expected.shape}.")
    max_diff = max(max_diff, float(np.max(np.abs(expected - actual))))
    if expected.ndim == 2 and expected.shape[1] > 1:
      agree.append(float(np.mean(
          np.argmax(expected, axis=1) == np.argmax(actual, axis=1))))
  return Agreement(num_examples=n, max_abs_diff=max_diff,
                   argmax_agreement=min(agree) if agree else None)
