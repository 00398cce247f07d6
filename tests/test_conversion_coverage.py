"""Library tests: graphs beyond dense image classifiers convert and validate.

Recurrent layers (Embedding -> Bidirectional(LSTM)) convert to the fused
builtin LSTM at batch 1; ops with no builtin (CategoryEncoding's
DenseBincount) fall back to select TF ops, recorded, unless builtins only
are asked for.
"""

import numpy as np
import pytest

from tfx_compression.errors import ConversionError
from tfx_compression.lib import lite_conversion
from tfx_compression.lib import tflite_run
from tfx_compression.lib import tflite_runtime
from tfx_compression.lib.conversion_options import OpSet


def _text_model():
  """IMDB's shape: token ids -> Embedding -> Bidirectional(LSTM) -> a logit."""
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  keras.utils.set_random_seed(0)
  tokens = keras.Input((12,), dtype="int64", name="tokens")
  x = keras.layers.Embedding(50, 8)(tokens)
  x = keras.layers.Bidirectional(keras.layers.LSTM(6))(x)
  out = keras.layers.Dense(1, name="logit")(x)
  model = keras.Model(tokens, out)
  model.compile(loss=keras.losses.BinaryCrossentropy(from_logits=True))
  return model


def _ops(model_bytes):
  interp = tflite_runtime.interpreter(model_bytes)
  interp.allocate_tensors()
  return {d["op_name"] for d in interp._get_ops_details()}  # pylint: disable=protected-access


def test_bidirectional_lstm_converts_to_the_fused_builtin_at_batch_1():
  model = _text_model()
  tokens = np.random.default_rng(0).integers(0, 50, (20, 12))
  result = lite_conversion.convert_validated(model, {"tokens": tokens})
  assert "UNIDIRECTIONAL_SEQUENCE_LSTM" in _ops(result.model_bytes)
  assert result.summary.fixed_batch and not result.summary.flex_ops
  # Validated one example at a time against Keras, as a binary logit.
  assert result.agreement.task == "binary"
  assert result.agreement.argmax_agreement == 1.0
  assert result.agreement.max_abs_diff < 1e-2  # fused LSTM kernels
  got = tflite_run.predict(result.model_bytes, {"tokens": tokens[:3]})
  np.testing.assert_allclose(got["logit"], model.predict(tokens[:3], verbose=0),
                             atol=1e-2)


def _category_model():
  """taxi's shape: an int id -> CategoryEncoding (multi_hot) -> Dense."""
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  keras.utils.set_random_seed(0)
  ids = keras.Input((1,), dtype="int32", name="ids")
  x = keras.layers.CategoryEncoding(10, output_mode="multi_hot")(ids)
  return keras.Model(ids, keras.layers.Dense(1, activation="sigmoid",
                                             name="p")(x))


def test_ops_without_builtin_fall_back_to_select_tf_ops_recorded():
  model = _category_model()
  ids = np.arange(10, dtype=np.int32).reshape(-1, 1)
  result = lite_conversion.convert_validated(model, {"ids": ids})
  assert result.summary.flex_ops == ["DenseBincount"]
  assert result.summary.runtime["runtime"] == tflite_runtime.TENSORFLOW
  np.testing.assert_allclose(
      tflite_run.predict(result.model_bytes, {"ids": ids})["p"],
      model.predict(ids, verbose=0), atol=1e-6)
  with pytest.raises(ConversionError, match=r"not TFLite builtins: "
                     r"\['DenseBincount'\]. Set op_set='auto'"):
    lite_conversion.convert_validated(model, {"ids": ids},
                                      op_set=OpSet.BUILTINS)
