"""Library tests: graphs beyond dense image classifiers convert and validate.

Recurrent layers (Embedding -> Bidirectional(LSTM)) convert to the fused
builtin LSTM at batch 1; CategoryEncoding (DenseBincount) becomes builtin
ONE_HOT + REDUCE_MAX, in a Keras model and in a restored SavedModel alike;
text-file vocabularies (tf.Transform's) run as in-memory tables; other ops
with no builtin fall back to select TF ops, recorded, unless builtins only
are asked for.
"""

import numpy as np
import pytest

import model_factories

from tfx_compression.errors import ConversionError
from tfx_compression.lib.conversion import validated_conversion
from tfx_compression.lib.tflite import inference
from tfx_compression.lib.tflite import runtime as tflite_runtime
from tfx_compression.lib.options.conversion import OpSet


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
  result = validated_conversion.convert_validated(model, {"tokens": tokens})
  assert "UNIDIRECTIONAL_SEQUENCE_LSTM" in _ops(result.model_bytes)
  assert result.summary.fixed_batch and not result.summary.flex_ops
  # Validated one example at a time against Keras, as a binary logit.
  assert result.agreement.task == "binary"
  assert result.agreement.argmax_agreement == 1.0
  assert result.agreement.max_abs_diff < 1e-2  # fused LSTM kernels
  got = inference.predict(result.model_bytes, {"tokens": tokens[:3]})
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


def _builtin_ops_only(model_bytes):
  from tfx_compression.lib.tflite import inspection  # pylint: disable=g-import-not-at-top
  assert not inspection.summarize(model_bytes).flex_ops
  return _ops(model_bytes)


@pytest.mark.parametrize("mode", ["multi_hot", "one_hot", "count"])
def test_category_encoding_converts_to_builtins(mode):
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  keras.utils.set_random_seed(0)
  width = 1 if mode == "one_hot" else 3
  ids = keras.Input((width,), dtype="int32", name="ids")
  x = keras.layers.CategoryEncoding(10, output_mode=mode)(ids)
  model = keras.Model(ids, keras.layers.Dense(2, name="p")(x))
  values = np.random.default_rng(0).integers(0, 10, (16, width)).astype(
      np.int32)
  result = validated_conversion.convert_validated(model, {"ids": values},
                                             op_set=OpSet.BUILTINS)
  assert "ONE_HOT" in _builtin_ops_only(result.model_bytes)
  assert not result.summary.flex_ops
  np.testing.assert_allclose(
      inference.predict(result.model_bytes, {"ids": values})["p"],
      model.predict(values, verbose=0), atol=1e-5)
  # Outside conversion, Keras' own layer is back.
  assert "builtin_layers" not in (
      keras.layers.CategoryEncoding.call.__module__)


def test_restored_category_encoding_is_rewritten_to_builtins(tmp_path):
  """A `tf.saved_model.save` export (TFX's taxi) has no Keras layer to trace."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.conversion import model_function  # pylint: disable=g-import-not-at-top
  model = _category_model()
  tf.saved_model.save(model, str(tmp_path / "m"))
  revived = model_function.from_revived(tf.saved_model.load(
      str(tmp_path / "m")), "taxi-like")
  ids = np.arange(10, dtype=np.int32).reshape(-1, 1)
  result = validated_conversion.convert_validated(revived, {"ids": ids},
                                             op_set=OpSet.BUILTINS)
  assert "ONE_HOT" in _builtin_ops_only(result.model_bytes)
  (out,) = inference.predict(result.model_bytes, {"ids": ids}).values()
  np.testing.assert_allclose(out, model.predict(ids, verbose=0), atol=1e-6)


def _vocabulary_module(tmp_path):
  """Restored text-file tables, as tf.Transform's transform_fn holds them."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  words = tmp_path / "words.txt"
  words.write_text("taxi\nbus\ntram\n")
  counts = tmp_path / "counts.txt"  # tft's store_frequency format
  counts.write_text("40 taxi\n7 bus\n")

  class Vocab(tf.Module):

    def __init__(self):
      super().__init__()
      self.ids = tf.lookup.StaticHashTable(tf.lookup.TextFileInitializer(
          str(words), tf.string, tf.lookup.TextFileIndex.WHOLE_LINE,
          tf.int64, tf.lookup.TextFileIndex.LINE_NUMBER), -1)
      self.counts = tf.lookup.StaticHashTable(tf.lookup.TextFileInitializer(
          str(counts), tf.string, 1, tf.int64, 0, delimiter=" "), 0)

    @tf.function(input_signature=[tf.TensorSpec([None, 1], tf.string)])
    def __call__(self, word):
      return {"id": self.ids.lookup(word), "count": self.counts.lookup(word)}

  tf.saved_model.save(Vocab(), str(tmp_path / "vocab"))
  return tf.saved_model.load(str(tmp_path / "vocab"))


def _lookup_function(module, tables):
  from tfx_compression.lib.conversion import model_function  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.keras.saved_model_io import InputSpec  # pylint: disable=g-import-not-at-top
  return model_function.ModelFunction(
      name="vocab", input_specs={"word": InputSpec("word", (1,), "string")},
      output_names=["count", "id"], call=lambda f: module(f["word"]),
      trackables=[module, tables])


def test_text_file_vocabularies_run_inside_tflite(tmp_path):
  from tfx_compression.lib.conversion import tflite_converter  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.conversion import transform_tables  # pylint: disable=g-import-not-at-top
  words = np.array([[b"bus"], [b"taxi"], [b"boat"], [b"tram"]], dtype=object)
  expected = {"id": [[1], [0], [-1], [2]], "count": [[7], [40], [0], [0]]}
  module = _vocabulary_module(tmp_path)
  # As it is, the converter drops the text-file initializer.
  as_is = tflite_converter.convert_keras(_lookup_function(module, []),
                                       op_set=OpSet.BUILTINS)
  with pytest.raises(RuntimeError, match="hashtable need to be initialized"):
    inference.predict(as_is, {"word": words})
  tables = transform_tables.inline_vocabularies(module)
  assert len(tables) == 2
  assert transform_tables.inline_vocabularies(module) is tables  # idempotent
  fn = _lookup_function(module, tables)
  model_bytes = tflite_converter.convert_keras(fn, op_set=OpSet.BUILTINS)
  assert "HASHTABLE_FIND" in _builtin_ops_only(model_bytes)
  got = inference.predict(model_bytes, {"word": words})
  for key, want in expected.items():
    np.testing.assert_array_equal(got[key], want, err_msg=key)
    # TensorFlow reads the same tables.
    np.testing.assert_array_equal(fn.predict({"word": words})[key], want)


def test_ops_without_builtin_fall_back_to_select_tf_ops_recorded():
  model = model_factories.flex_model()
  x = np.linspace(0, 1, 10, dtype=np.float32).reshape(-1, 1)
  result = validated_conversion.convert_validated(model, {"x": x})
  assert result.summary.flex_ops == ["UpperBound"]
  assert result.summary.runtime["runtime"] == tflite_runtime.TENSORFLOW
  np.testing.assert_allclose(
      inference.predict(result.model_bytes, {"x": x})["p"],
      model.predict(x, verbose=0), atol=1e-6)
  with pytest.raises(ConversionError, match=r"not TFLite builtins: "
                     r"\['UpperBound'\]. Set op_set='auto'"):
    validated_conversion.convert_validated(model, {"x": x}, op_set=OpSet.BUILTINS)
