"""Facts about a TFLite flatbuffer: sizes, tensor dtypes, inputs and outputs."""

import collections
import dataclasses
import zlib
from typing import Dict, List, Tuple


@dataclasses.dataclass(frozen=True)
class TfliteSummary:
  """Sizes and tensor types of one .tflite model."""

  size_bytes: int
  gzip_size_bytes: int
  tensor_dtype_counts: Dict[str, int]
  input_names: List[str]
  input_dtypes: Dict[str, str]
  input_shapes: Dict[str, List[int]]  # per example (without the batch)
  output_names: List[str]
  output_shapes: Dict[str, List[int]]  # per example (without the batch)
  output_dtypes: Dict[str, str]
  # Whether the default XNNPACK delegate took (part of) the graph. It refuses
  # a graph with any dynamic-sized tensor, which then runs 2-3x slower.
  xnnpack_delegated: bool
  runtime: Dict[str, str]  # the TFLite runtime that measured it, and version
  # TensorFlow ops the model runs through the Flex delegate (select TF ops):
  # its runtime must link that delegate, e.g. TensorFlow's interpreter.
  flex_ops: List[str] = dataclasses.field(default_factory=list)
  # Inputs whose batch dimension is fixed (not resizable), e.g. LSTM graphs
  # converted at batch 1: feed one example at a time.
  fixed_batch: bool = False


def compressed_size(data: bytes) -> int:
  """Size of `data` after deflate at level 9 (what gzip on disk achieves)."""
  return len(zlib.compress(data, 9))


def interpreter(model_bytes: bytes, num_threads: int = 1):
  """Returns an allocated interpreter (`runtime.interpreter`) for `model_bytes`."""
  from tfx_compression.lib.tflite import runtime as tflite_runtime  # pylint: disable=g-import-not-at-top
  interp = tflite_runtime.interpreter(model_bytes, num_threads=num_threads)
  interp.allocate_tensors()
  return interp


def summarize(model_bytes: bytes) -> TfliteSummary:
  """Loads `model_bytes` in the interpreter and describes it."""
  from tfx_compression.lib.tflite import runtime as tflite_runtime  # pylint: disable=g-import-not-at-top
  interp = interpreter(model_bytes)
  counts = collections.Counter(
      d["dtype"].__name__ for d in interp.get_tensor_details())
  runner = interp.get_signature_runner()
  inputs = runner.get_input_details()
  outputs = runner.get_output_details()
  return TfliteSummary(
      size_bytes=len(model_bytes),
      gzip_size_bytes=compressed_size(model_bytes),
      tensor_dtype_counts=dict(sorted(counts.items())),
      input_names=sorted(inputs),
      input_dtypes={k: v["dtype"].__name__ for k, v in sorted(inputs.items())},
      input_shapes={k: [int(d) for d in v["shape"][1:]]
                    for k, v in sorted(inputs.items())},
      output_names=sorted(outputs),
      output_shapes={k: [int(d) for d in v["shape"][1:]]
                     for k, v in sorted(outputs.items())},
      output_dtypes={k: v["dtype"].__name__ for k, v in sorted(outputs.items())},
      xnnpack_delegated=delegated(interp),
      runtime=tflite_runtime.describe(
          tflite_runtime.TENSORFLOW if tflite_runtime.flex_ops(model_bytes)
          else None),
      flex_ops=tflite_runtime.flex_ops(model_bytes),
      fixed_batch=any(len(v["shape_signature"]) and
                      int(v["shape_signature"][0]) != -1
                      for v in inputs.values()),
  )


def int8_kernels(model_bytes: bytes) -> List[Tuple[str, "np.ndarray", bool]]:
  """Every constant int8 tensor of rank >= 2: the kernels of an integer model.

  Returns:
    (name, int8 values shaped as stored, whether quantized per channel, i.e.
    with more than one scale) for each kernel.
  """
  import numpy as np  # pylint: disable=g-import-not-at-top
  from tensorflow.lite.python import schema_py_generated as schema  # pylint: disable=g-import-not-at-top
  from tensorflow.lite.tools import flatbuffer_utils  # pylint: disable=g-import-not-at-top
  model = flatbuffer_utils.convert_bytearray_to_object(bytearray(model_bytes))
  kernels = []
  for subgraph in model.subgraphs:
    for tensor in subgraph.tensors:
      data = model.buffers[tensor.buffer].data
      if (tensor.type != schema.TensorType.INT8 or data is None or
          tensor.shape is None or len(tensor.shape) < 2):
        continue
      name = (tensor.name.decode() if isinstance(tensor.name, bytes)
              else str(tensor.name))
      scales = (tensor.quantization.scale
                if tensor.quantization is not None else None)
      kernels.append((name, np.asarray(data, dtype=np.uint8).view(
          np.int8).reshape([int(d) for d in tensor.shape]),
                      scales is not None and len(scales) > 1))
  return kernels


def delegated(interp) -> bool:
  """True if a delegate node replaced ops in the allocated `interp`'s plan."""
  # pylint: disable=protected-access
  return any(op["op_name"] == "DELEGATE" for op in interp._get_ops_details())
