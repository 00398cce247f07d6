"""Running a TFLite model on named numpy inputs, one example at a time."""

from typing import Dict, Mapping

import numpy as np

from tfx_compression.errors import InputMismatchError
from tfx_compression.lib.tflite import inspection


def quantize(values: np.ndarray, detail: Mapping) -> np.ndarray:
  """Casts float `values` to the dtype of a TFLite tensor, quantizing if needed.

  Integer tensors with a scale are quantized with rounding to nearest and
  clipping to the dtype's range (not truncation).
  """
  dtype = detail["dtype"]
  scale, zero_point = detail.get("quantization", (0.0, 0))
  if np.issubdtype(dtype, np.integer) and scale:
    info = np.iinfo(dtype)
    q = np.round(np.asarray(values, np.float64) / scale + zero_point)
    return np.clip(q, info.min, info.max).astype(dtype)
  return np.asarray(values).astype(dtype)


def dequantize(values: np.ndarray, detail: Mapping) -> np.ndarray:
  """Returns integer TFLite outputs as floats using their scale and zero point."""
  scale, zero_point = detail.get("quantization", (0.0, 0))
  if np.issubdtype(values.dtype, np.integer) and scale:
    return (values.astype(np.float32) - zero_point) * scale
  return values


def predict(model_bytes: bytes, inputs: Mapping[str, np.ndarray],
            num_threads: int = 1) -> Dict[str, np.ndarray]:
  """Runs every example of `inputs` through the model's default signature.

  Inputs are fed by name (TFLite orders inputs differently from Keras).

  Args:
    model_bytes: The .tflite flatbuffer.
    inputs: Input name -> array with a leading example dimension.
    num_threads: Interpreter threads.

  Returns:
    Output name -> float array with a leading example dimension.

  Raises:
    InputMismatchError: the input names differ from the model's.
  """
  interp = inspection.interpreter(model_bytes, num_threads=num_threads)
  runner = interp.get_signature_runner()
  in_details = runner.get_input_details()
  if set(in_details) != set(inputs):
    raise InputMismatchError(
        f"TFLite model inputs {sorted(in_details)} differ from the inputs "
        f"provided {sorted(inputs)}.")
  return _run(runner, inputs, 1)


def _run(runner, inputs: Mapping[str, np.ndarray],
         batch_size: int) -> Dict[str, np.ndarray]:
  """Feeds `inputs` to a signature runner `batch_size` examples at a time."""
  in_details = runner.get_input_details()
  out_details = runner.get_output_details()
  n = len(next(iter(inputs.values()))) if inputs else 0
  results = {name: [] for name in out_details}
  for start in range(0, n, batch_size):
    feeds = {name: quantize(values[start:start + batch_size],
                            in_details[name])
             for name, values in inputs.items()}
    out = runner(**feeds)
    for name, value in out.items():
      results[name].append(dequantize(value, out_details[name]))
  return {name: np.concatenate(v) if v else np.zeros((0,))
          for name, v in results.items()}


def predict_batched(model_bytes: bytes, inputs: Mapping[str, np.ndarray],
                    batch_size: int = 256,
                    num_threads: int = 1) -> Dict[str, np.ndarray]:
  """`predict`, `batch_size` examples per invoke where every input's batch
  dimension is dynamic (a fixed-batch model, e.g. an LSTM converted at
  batch 1, goes one example at a time). For bulk prediction (the
  evaluator's pass); results equal `predict`'s up to float rounding.
  """
  interp = inspection.interpreter(model_bytes, num_threads=num_threads)
  runner = interp.get_signature_runner()
  in_details = runner.get_input_details()
  dynamic = all(len(d.get("shape_signature", ())) and
                d["shape_signature"][0] == -1 for d in in_details.values())
  if not dynamic or set(in_details) != set(inputs):
    return predict(model_bytes, inputs, num_threads)
  return _run(runner, inputs, batch_size)


def top1_accuracy(outputs, labels) -> float:
  """Top-1 accuracy of class scores (a width-1 output: sigmoid at 0.5)."""
  outputs = np.asarray(outputs)
  predicted = (np.argmax(outputs, axis=1) if outputs.ndim == 2 and
               outputs.shape[1] > 1 else np.ravel(outputs) > 0.5)
  return float(np.mean(predicted == np.ravel(labels)))


def accuracy(model_bytes: bytes, inputs: Mapping[str, np.ndarray],
             labels) -> float:
  """Top-1 accuracy of a single-output classifier TFLite model on `inputs`."""
  (outputs,) = predict(model_bytes, inputs).values()
  return top1_accuracy(outputs, labels)
