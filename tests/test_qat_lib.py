"""Library-level tests: QAT layer selection and quantization (lib/quantization/qat.py)."""

import numpy as np
import pytest

from tfx_compression.errors import CompressionConfigError
from tfx_compression.fine_tuning.config import LayerSelection
from tfx_compression.lib.quantization import qat


def _layer_norm_model():
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  x = keras.Input((16,), name="x")
  y = keras.layers.Dense(16, name="d1")(x)
  y = keras.layers.LayerNormalization(name="norm")(y)
  return keras.Model(x, keras.layers.Dense(4, name="d2")(y))


def test_unsupported_layer_is_named_or_skipped():
  model = _layer_norm_model()
  with pytest.raises(CompressionConfigError) as e:
    qat.select_layers(model, LayerSelection(), skip_unsupported=False)
  assert "tfmot cannot quantize layer(s) ['norm (LayerNormalization)']" in str(e.value)
  assert "exclude_names=['norm']" in str(e.value)
  assert "skip_unsupported_layers=True" in str(e.value)
  for skip in (True, None):  # None: skipped unless an include rule names it
    selection = qat.select_layers(model, LayerSelection(),
                                  skip_unsupported=skip)
    assert selection.quantized == ["d1", "d2"]
    assert "cannot quantize LayerNormalization" in selection.float_layers["norm"]
  with pytest.raises(CompressionConfigError, match=r"\['norm \(LayerNorm"):
    qat.select_layers(model, LayerSelection(include_types=["LayerNormalization",
                                                           "Dense"]), None)
  quantized = qat.quantize(model, selection, prune_preserving=False)
  assert quantized.predict(np.ones((2, 16), np.float32), verbose=0).shape == (2, 4)


def test_unknown_layer_name_is_refused(keras_model):
  with pytest.raises(CompressionConfigError, match=r"unknown layer\(s\) \['dense7'\]"):
    qat.select_layers(keras_model, LayerSelection(exclude_names=["dense7"]),
                      skip_unsupported=False)


def test_keep_first_and_last_float(keras_model):
  selection = qat.select_layers(
      keras_model, LayerSelection(keep_first_and_last=True), False)
  assert "conv1" not in selection.quantized
  assert "probabilities" not in selection.quantized
  assert "dense1" in selection.quantized


def test_batch_norm_after_a_conv_is_quantized_elsewhere_refused():
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  image = keras.Input((8, 8, 1), name="image")
  x = keras.layers.Conv2D(4, 3, name="conv")(image)
  x = keras.layers.BatchNormalization(name="conv_bn")(x)
  x = keras.layers.ReLU(6.0, name="relu")(x)
  x = keras.layers.Flatten()(x)
  x = keras.layers.Dense(8, name="dense")(x)
  x = keras.layers.BatchNormalization(name="dense_bn")(x)
  model = keras.Model(image, keras.layers.Dense(2, name="out")(x))
  with pytest.raises(CompressionConfigError, match=r"\['dense_bn \(Batch"):
    qat.select_layers(model, LayerSelection(), skip_unsupported=False)
  selection = qat.select_layers(model, LayerSelection(), skip_unsupported=True)
  assert "conv_bn" in selection.quantized
  assert "dense_bn" in selection.float_layers
  quantized = qat.quantize(model, selection, prune_preserving=False)
  assert quantized.predict(np.zeros((1, 8, 8, 1)), verbose=0).shape == (1, 2)
