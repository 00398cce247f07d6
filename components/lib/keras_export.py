"""Exporting a compressed Keras model so that it serves like the original."""


from tfx_compression.lib import keras_io


def save_with_original_signatures(trained_model, original_path: str,
                                  export_path: str) -> None:
  """Saves `trained_model`'s weights under the original model's signatures.

  Saving `trained_model` directly would replace `serving_default` (e.g. one
  that parses serialized tf.Examples) with a dense-input signature. Instead,
  the original is loaded again, given the new weights layer by layer, and
  saved with its own signatures, which now compute with those weights.

  Args:
    trained_model: A model with the same layer names and weight shapes as the
      original (e.g. a stripped pruned model).
    original_path: The original Keras SavedModel directory.
    export_path: Where to write the new SavedModel.
  """
  original = keras_io.load_keras_model(original_path, compile=True,
                                      signatures=True)
  for layer in original.layers:
    if layer.weights:
      layer.set_weights(trained_model.get_layer(layer.name).get_weights())
  keras_io.save_keras_model(original, export_path, dict(original.signatures))
