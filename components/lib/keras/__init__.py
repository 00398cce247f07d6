"""Keras models and SavedModels: loading, describing, exporting.

- saved_model_info: what a SavedModel declares, read from its files.
- saved_model_io: loading and saving Keras SavedModels; their input specs.
- model_loading: a Trainer's model, however it was saved (for conversion or
  training).
- model_function: a model as a function of named dense tensors.
- serving_signature: a tf.Example `serving_default` for a reshaped model.
- serving_export: exporting a compressed model so it serves like the original.
- layer_selection: which layers a LayerSelection picks.
- model_cost: parameter and FLOP counts.
- tf_setup: process-wide TensorFlow set-up.
"""
