"""Compression libraries: plain functions on Keras models, TFLite bytes and
files, grouped by area. Nothing here knows TFX (artifacts, executors, user
modules): executors translate artifacts to paths and pass user code in.

An area imports only the areas before it in `ORDER` (tests/test_layout.py
checks every import, nested ones included):

- options: closed option sets the configs name (no heavy imports).
- report: plots and units for reports.
- tflite: running, inspecting and measuring TFLite flatbuffers.
- keras: SavedModel facts, Keras SavedModel I/O, layer selection, costs.
- evaluation: a model's task, and TFMA evaluation.
- data: tf.Example records into model inputs, and their checks.
- sparsity: magnitude pruning and weight clustering (tfmot).
- channels: structured channel pruning (model surgery).
- conversion: models loaded as functions, converted to TFLite, validated.
- quantization: PTQ, per-layer error, calibration sampling, QAT.
- training: the fine-tuning fit loop and distillation.
- export: serving exports, Core ML and TFLite Micro.
"""

ORDER = ("options", "report", "tflite", "keras", "evaluation", "data",
         "sparsity", "channels", "conversion", "quantization", "training",
         "export")
