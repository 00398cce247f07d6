"""Keras/SavedModel -> TFLite, and proof that the result is right.

- conversion_source: what is converted (the model, with or without the
  Transform graph) and how examples become its inputs.
- tflite_converter: the TFLite converter call, unsupported ops named.
- validated_conversion: pre-validate, convert, post-validate (every
  TFLite-producing component).
- post_validation: a converted model must agree with its source.
- builtin_layers, builtin_graph: layers and graph ops rewritten to builtins.
- transform_tables: tf.Transform vocabularies as in-model tables.
"""
