"""Facts about a TFLite flatbuffer: sizes, tensor dtypes, inputs and outputs."""

import collections
import dataclasses
import zlib
from typing import Dict, List


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


def compressed_size(data: bytes) -> int:
  """Size of `data` after deflate at level 9 (what gzip on disk achieves)."""
  return len(zlib.compress(data, 9))


def interpreter(model_bytes: bytes, num_threads: int = 1):
  """Returns an allocated interpreter (`tflite_runtime`) for `model_bytes`."""
  from tfx_compression.lib import tflite_runtime  # pylint: disable=g-import-not-at-top
  interp = tflite_runtime.interpreter(model_bytes, num_threads=num_threads)
  interp.allocate_tensors()
  return interp


def summarize(model_bytes: bytes) -> TfliteSummary:
  """Loads `model_bytes` in the interpreter and describes it."""
  from tfx_compression.lib import tflite_runtime  # pylint: disable=g-import-not-at-top
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
      runtime=tflite_runtime.describe(),
  )


def delegated(interp) -> bool:
  """True if a delegate node replaced ops in the allocated `interp`'s plan."""
  # pylint: disable=protected-access
  return any(op["op_name"] == "DELEGATE" for op in interp._get_ops_details())
