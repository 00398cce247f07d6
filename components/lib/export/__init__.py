"""Exports for other runtimes.

- coreml: Keras -> Core ML ML Program (coremltools), validated.
- micro: TFLite Micro: C sources and the arena size.
"""
