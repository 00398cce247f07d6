"""Child process that loads and runs one .tflite file and prints its peak memory.

Run as a script: `python tflite_memory_probe.py MODEL_PATH NUM_THREADS RUNS`.
It prints one JSON line: the resident set once the runtime is loaded, the
peak resident set (VmHWM, see `_peak_bytes`) after the model is loaded, allocated
and invoked RUNS times, and which interpreter binding was used. Loading the
runtime itself makes a transient peak far above any small model; on Linux the
peak is reset (/proc/self/clear_refs) before the model is loaded, so the peak
measured afterwards is the model's. It loads LiteRT (`ai-edge-litert`), the
runtime devices run, when installed and not overridden by
TFX_COMPRESSION_TFLITE_RUNTIME=tensorflow; else only TensorFlow's TFLite
interpreter extension (0.1 s) instead of all of TensorFlow (15-40 s),
falling back to `tf.lite.Interpreter` if it cannot be loaded on its own.
Keep this file free of tfx_compression imports: it runs without the package.
"""

import importlib.util
import json
import os
import resource
import sys

_WRAPPER = os.path.join("lite", "python", "interpreter_wrapper",
                        "_pywrap_tensorflow_interpreter_wrapper.so")
_AUTO_RESOLVER = 1  # BuiltinOpResolver with default delegates (XNNPACK).


def _peak_bytes() -> int:
  """This process's peak resident set: VmHWM, else getrusage ru_maxrss.

  ru_maxrss is not used first because Linux carries the parent's peak over
  into a child at exec: a child of a large process (an executor holding
  TensorFlow and TFMA) reports the parent's peak.
  """
  try:
    with open("/proc/self/status") as f:
      for line in f:
        if line.startswith("VmHWM:"):
          return int(line.split()[1]) * 1024
  except OSError:
    pass
  return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB


def _current_bytes() -> int:
  """Resident set now; after resetting the peak to it when the OS allows."""
  try:
    with open("/proc/self/clear_refs", "w") as f:
      f.write("5")
    with open("/proc/self/statm") as f:
      return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
  except OSError:
    return _peak_bytes()


def _load_wrapper():
  spec = importlib.util.find_spec("tensorflow")  # Does not import tensorflow.
  path = os.path.join(os.path.dirname(spec.origin), _WRAPPER)
  module_spec = importlib.util.spec_from_file_location(
      "_pywrap_tensorflow_interpreter_wrapper", path)
  module = importlib.util.module_from_spec(module_spec)
  module_spec.loader.exec_module(module)
  return module


def _litert():
  if os.environ.get("TFX_COMPRESSION_TFLITE_RUNTIME",
                    "ai-edge-litert") != "ai-edge-litert":
    return None
  try:
    from ai_edge_litert import interpreter  # pylint: disable=g-import-not-at-top
  except ImportError:
    return None
  return interpreter


def main(argv) -> None:
  model_path, num_threads, runs = argv[1], int(argv[2]), int(argv[3])
  litert = _litert()
  if litert is not None:
    before = _current_bytes()
    interp = litert.Interpreter(model_path=model_path, num_threads=num_threads)
    interp.allocate_tensors()
    for _ in range(runs):
      interp.invoke()
    print(json.dumps({"before_bytes": before, "peak_bytes": _peak_bytes(),
                      "loader": "ai-edge-litert"}))
    return
  try:
    wrapper = _load_wrapper()
    loader = "interpreter_wrapper"
  except (ImportError, OSError, AttributeError):
    wrapper, loader = None, "tf.lite.Interpreter"
  if wrapper is None:
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    before = _current_bytes()
    interp = tf.lite.Interpreter(model_path=model_path, num_threads=num_threads)
  else:
    before = _current_bytes()
    interp = wrapper.CreateWrapperFromFile(model_path, _AUTO_RESOLVER, [], [],
                                           False, False)
    interp.SetNumThreads(num_threads)
  interp.AllocateTensors()
  for _ in range(runs):
    interp.Invoke()
  after = _peak_bytes()
  print(json.dumps({"before_bytes": before, "peak_bytes": after,
                    "loader": loader}))


if __name__ == "__main__":
  main(sys.argv)
