"""Sparse-encoded weights in a TFLite model, and whether XNNPACK runs them sparse.

A pruned model converted with TFLite's `EXPERIMENTAL_SPARSITY` keeps its
sparse weights in a compressed (CSR-like) encoding behind DENSIFY ops.
XNNPACK can then run 1x1 convolutions with sparse kernels (its NCHW path,
"Fast Sparse ConvNets"), when three things hold:
- the model has that structure (tfmot's `PruneForLatencyOnXNNPack` checks it:
  the Pruner's `policy: xnnpack`);
- its 1x1 convolution weights are sparse-encoded (LiteConverter
  `sparse_encoding`);
- the CPU is one XNNPACK has sparse kernels for: ARM/ARM64 (NEON) and
  WebAssembly SIMD, and x86 only without AVX. XNNPACK's
  `xnn_is_chw_compatible_config` refuses the path on x86 CPUs with AVX, where
  its SSE sparse kernels lose to the dense AVX ones; on those the model runs
  dense, at the dense model's speed, and only its file is smaller.
"""

import dataclasses
import platform
from typing import Any, Dict, Optional, Tuple

_ARM = ("aarch64", "arm64", "armv7l", "armv8l", "arm")
_X86 = ("x86_64", "amd64", "i386", "i686", "x86")


@dataclasses.dataclass(frozen=True)
class SparseEncoding:
  """Counts of the sparse-encoded weights of one model."""

  sparse_tensors: int
  densify_ops: int
  # Sparse tensors shaped as 1x1 convolution kernels [out, 1, 1, in]: the
  # ones XNNPACK's sparse kernels take.
  sparse_1x1_kernels: int


def encoding(model_bytes: bytes) -> SparseEncoding:
  """Counts the sparse tensors and DENSIFY ops of `model_bytes`."""
  from tfx_compression.lib.tflite import runtime  # pylint: disable=g-import-not-at-top
  interp = runtime.interpreter(model_bytes)
  sparse = [d for d in interp.get_tensor_details()
            if d.get("sparsity_parameters")]
  try:
    ops = interp._get_ops_details()  # pylint: disable=protected-access
  except AttributeError:
    ops = []
  pointwise = [d for d in sparse if len(d["shape"]) == 4
               and tuple(int(s) for s in d["shape"][1:3]) == (1, 1)]
  return SparseEncoding(
      sparse_tensors=len(sparse),
      densify_ops=sum(op["op_name"] == "DENSIFY" for op in ops),
      sparse_1x1_kernels=len(pointwise))


def _cpu_flags() -> Tuple[str, ...]:
  try:
    with open("/proc/cpuinfo") as f:
      for line in f:
        if line.startswith("flags"):
          return tuple(line.split(":", 1)[1].split())
  except OSError:
    pass
  return ()


def host_sparse_path(machine: Optional[str] = None,
                     cpu_flags: Optional[Tuple[str, ...]] = None
                     ) -> Tuple[Optional[bool], str]:
  """(Whether XNNPACK takes its sparse path on this CPU, the CPU in words).

  None when the architecture is neither ARM nor x86 (not known here).
  """
  machine = (machine or platform.machine()).lower()
  if machine in _ARM:
    return True, f"{machine} (NEON sparse kernels)"
  if machine in _X86:
    flags = _cpu_flags() if cpu_flags is None else cpu_flags
    if "avx" in flags:
      return False, f"{machine} with AVX"
    return True, f"{machine} without AVX (SSE sparse kernels)"
  return None, machine or "unknown"


def describe(model_bytes: bytes) -> Dict[str, Any]:
  """The report's facts: the encoding, and what this host makes of it."""
  found = encoding(model_bytes)
  takes, host = host_sparse_path()
  eligible = found.sparse_1x1_kernels > 0
  if not eligible:
    note = ("no sparse-encoded 1x1 convolution weights: XNNPACK runs the "
            "model dense (prune with the Pruner's policy 'xnnpack' and "
            "convert with LiteConverter sparse_encoding to run sparse)")
  elif takes:
    note = (f"this host ({host}) can run its {found.sparse_1x1_kernels} "
            "sparse 1x1 convolutions with XNNPACK's sparse kernels; the "
            "latency above includes them")
  else:
    note = (f"XNNPACK does not take its sparse path on this host ({host}): "
            "the latency above is the dense path's. ARM/ARM64 devices "
            "(NEON) and WebAssembly SIMD run the sparse kernels")
  return dict(dataclasses.asdict(found), eligible=eligible, host=host,
              host_takes_sparse_path=takes, note=note)
