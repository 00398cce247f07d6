"""Exporting a compressed Keras model so that it serves like the original."""

import os
import tempfile
from typing import Mapping, Sequence

import numpy as np

from tfx_compression.errors import ModelValidationError
from tfx_compression.lib.keras import saved_model_io
from tfx_compression.lib.keras import saved_model_info

# Largest accepted difference between the exported serving_default and the
# compressed model it serves (float32 round-off).
EXPORT_TOLERANCE = 1e-4


def save_with_original_signatures(trained_model, original_path: str,
                                  export_path: str,
                                  trust_model_code: bool = False) -> None:
  """Saves `trained_model`'s weights under the original model's signatures.

  Saving `trained_model` directly would replace `serving_default` (e.g. one
  that parses serialized tf.Examples and applies a Transform graph) with a
  dense-input signature. Instead the original is loaded again, given the new
  weights, and saved with all its own signatures, which now compute with
  those weights:
  - a Keras SavedModel is reloaded by Keras and given the weights layer by
    layer (the export keeps its Keras metadata);
  - a `tf.saved_model.save` export is reloaded with `tf.saved_model.load`
    and given the weights through a checkpoint of `trained_model` (its
    object graph has the same paths: `model_fn` rebuilt the same model).

  Args:
    trained_model: A model with the same layers and weight shapes as the
      original (e.g. a stripped pruned model).
    original_path: The original SavedModel directory.
    export_path: Where to write the new SavedModel.
    trust_model_code: Reload an original with Lambda layers through Keras
      (their bytecode runs); otherwise such an original takes the
      `tf.saved_model.load` route, which runs no code from the artifact.
  """
  if saved_model_info.read(original_path).has_keras_metadata and (
      trust_model_code or not saved_model_io.unsafe_layers(original_path)):
    original = saved_model_io.load_keras_model(original_path, compile=True,
                                        signatures=True,
                                        trust_model_code=trust_model_code)
    for layer in original.layers:
      if layer.weights:
        layer.set_weights(trained_model.get_layer(layer.name).get_weights())
    saved_model_io.save_keras_model(original, export_path, dict(original.signatures))
    return
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  revived = tf.saved_model.load(original_path)
  with tempfile.TemporaryDirectory() as tmp:
    prefix = tf.train.Checkpoint(root=trained_model).write(
        os.path.join(tmp, "weights"))
    # The original's optimizer slots take nothing; that every weight landed
    # is proven by `check_export` on real examples.
    tf.train.Checkpoint(root=revived).read(prefix).expect_partial()
  tf.saved_model.save(revived, export_path, signatures=dict(revived.signatures))


def check_export(export_path: str, expected: Mapping[str, np.ndarray],
                 serialized: Sequence[bytes]) -> float:
  """Proves that the export's serving_default serves the compressed model.

  Args:
    export_path: The exported SavedModel.
    expected: Output key -> what the compressed model computes on the
      records (through the same feature space).
    serialized: The serialized tf.Examples.

  Returns:
    The largest difference.

  Raises:
    ModelValidationError: an output differs by more than EXPORT_TOLERANCE.
  """
  from tfx_compression.lib.conversion import model_loading  # pylint: disable=g-import-not-at-top
  info = saved_model_info.read(export_path)
  served = model_loading.LoadedModel(info, None).serving_outputs(serialized)
  diff = 0.0
  for key, value in expected.items():
    if key not in served:
      raise ModelValidationError(
          f"the exported serving_default of {export_path} has no output "
          f"{key!r} (outputs: {sorted(served)})")
    diff = max(diff, float(np.max(np.abs(served[key] - value))))
  scale = max(1.0, max(float(np.max(np.abs(v))) for v in expected.values()))
  if not diff <= EXPORT_TOLERANCE * scale:
    raise ModelValidationError(
        f"the exported serving_default of {export_path} differs from the "
        f"compressed model by {diff:.3g} on {len(serialized)} real examples")
  return diff
