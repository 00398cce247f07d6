"""Exports for other runtimes.

- serving_export: a compressed Keras model saved to serve like the original.
- coreml: Keras -> Core ML ML Program (coremltools), validated.
- micro: TFLite Micro: C sources and the arena size.
"""
