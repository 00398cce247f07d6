"""TFLite flatbuffers once converted: run, inspect, measure.

- runtime: the one place an interpreter is made (LiteRT, TF's as fallback).
- inference: predictions and accuracy on named numpy inputs (int8 I/O
  quantized).
- inspection: sizes, tensor dtypes, inputs and outputs of a flatbuffer.
- benchmark: latency, peak memory and weight sparsity.
- memory_probe: the child process that measures peak memory.
"""
