"""Keras models and SavedModels: describing, saving, selecting layers.

- saved_model_info: what a SavedModel declares, read from its files.
- saved_model_io: loading and saving Keras SavedModels; their input specs.
- serving_signature: a tf.Example `serving_default` for a reshaped model.
- layer_selection: which layers a LayerSelection picks.
- model_cost: parameter and FLOP counts.
- tf_setup: process-wide TensorFlow set-up.
"""
