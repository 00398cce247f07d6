"""Keras/SavedModel -> TFLite, and proof that the result is right.

- model_loading: a Trainer's model, however it was saved (as a function to
  convert, or as a Keras model to train).
- model_function: a model as a function of named dense tensors.
- conversion_source: what is converted (the model, with or without the
  Transform graph) and how examples become its inputs.
- tflite_converter: the TFLite converter call, unsupported ops named.
- validated_conversion: pre-validate, convert, post-validate (every
  TFLite-producing component).
- post_validation: a converted model must agree with its source.
- conversion_input: what a converting executor works from, and the check of
  its TFLite model against `serving_default`.
- builtin_layers, builtin_graph: layers and graph ops rewritten to builtins.
- transform_tables: tf.Transform vocabularies as in-model tables.
"""
