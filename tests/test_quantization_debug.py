"""Library tests: per-layer int8 error report and float-layer selection."""

import csv
import io

import numpy as np
import pytest

from tfx_compression.errors import CompressionConfigError
from tfx_compression.lib.conversion import validated_conversion
from tfx_compression.lib.quantization import layer_errors as quantization_debug
from tfx_compression.lib.conversion import tflite_converter
from tfx_compression.lib.tflite import inspection


def _outlier_model():
  """Every kernel column of `spiky` has a 50.0 weight on an always-zero input.

  The weight never contributes to the output but sets the per-tensor
  quantization scale of the whole kernel, so int8 rounds the useful weights
  away: a layer that only stays accurate when kept float.
  """
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  keras.utils.set_random_seed(0)
  x = keras.Input((16,), name="x")
  h = keras.layers.Dense(16, activation="relu", name="spiky")(x)
  model = keras.Model(x, keras.layers.Dense(4, name="head")(h))
  kernel, bias = model.get_layer("spiky").get_weights()
  kernel[0, :] = 50.0
  model.get_layer("spiky").set_weights([kernel, bias])
  values = np.random.default_rng(0).uniform(size=(64, 16)).astype(np.float32)
  values[:, 0] = 0.0
  return model, {"x": values}


def _float_ops(model_bytes):
  interp = inspection.interpreter(model_bytes)
  details = {d["index"]: d for d in interp.get_tensor_details()}
  return [op["op_name"] for op in interp._get_ops_details()  # pylint: disable=protected-access
          if op["op_name"] == "FULLY_CONNECTED" and
          details[op["inputs"][1]]["dtype"] == np.float32]


@pytest.fixture(scope="module")
def dense1_float(keras_model, eval_inputs):
  inputs, _ = eval_inputs
  return quantization_debug.analyze(keras_model, inputs, inputs,
                                    float_layers=["dense1"])


def test_layer_report_lists_every_quantized_tensor(dense1_float):
  layers = dense1_float.layers
  assert [l.op_name for l in layers] == [
      "RESHAPE", "CONV_2D", "MAX_POOL_2D", "CONV_2D", "MAX_POOL_2D",
      "RESHAPE", "FULLY_CONNECTED", "FULLY_CONNECTED", "SOFTMAX"]
  for layer in layers:
    assert layer.scale > 0 and layer.mean_squared_error >= 0
    assert layer.rmse_over_scale == pytest.approx(
        np.sqrt(layer.mean_squared_error) / layer.scale)
  # Conv and dense outputs: rounding-level error (~0.29 steps), no clipping.
  weighted = [l for l in layers if l.op_name in ("CONV_2D", "FULLY_CONNECTED")]
  assert all(0.1 < l.rmse_over_scale < 1.0 for l in weighted)
  print("\n".join(f"{l.op_name:16} rmse/scale {l.rmse_over_scale:.3f}  "
                  f"{l.tensor_name[:60]}" for l in layers))


def test_named_layer_is_kept_float_and_validated(dense1_float, keras_model,
                                                 eval_inputs):
  inputs, _ = eval_inputs
  result = dense1_float
  assert len(result.float_nodes) == 1 and "/dense1/" in result.float_nodes[0]
  assert result.decisions[0].reason == "float_layers: output of Keras layer 'dense1'"
  assert _float_ops(result.model_bytes) == ["FULLY_CONNECTED"]
  validated = validated_conversion.validate(result.model_bytes, keras_model, inputs,
                                       min_argmax_agreement=0.98)
  assert validated.summary.input_dtypes == {"image": "float32"}
  rows = list(csv.DictReader(io.StringIO(
      quantization_debug.layer_report_csv(result))))
  assert [r["kept_float"] for r in rows].count("True") == 1
  assert rows[6]["kept_float"] == "True" and "dense1" in rows[6]["reason"]
  assert result.budget_met is None  # No automatic mode, no budget.


def test_unknown_layer_or_op_names_are_refused(keras_model, eval_inputs):
  inputs, _ = eval_inputs
  small = {k: v[:10] for k, v in inputs.items()}
  with pytest.raises(CompressionConfigError,
                     match=r"float_layers entry 'dense9' names no quantized "
                     r"tensor; allowed: .*digits_cnn/conv1/Relu"):
    quantization_debug.analyze(keras_model, small, small,
                               float_layers=["dense9"])
  with pytest.raises(CompressionConfigError,
                     match=r"float_ops \['LSTM'\] are not quantized ops of the "
                     r"model; allowed: \['CONV_2D', 'FULLY_CONNECTED', "
                     r"'MAX_POOL_2D', 'RESHAPE', 'SOFTMAX'\]"):
    quantization_debug.analyze(keras_model, small, small, float_ops=["LSTM"])


def test_selective_quantization_needs_float_or_int8_io(keras_model,
                                                       eval_inputs):
  inputs, _ = eval_inputs
  with pytest.raises(CompressionConfigError,
                     match=r"io_type 'uint8' cannot be combined with float "
                     r"layers; allowed: \['float32', 'int8'\]"):
    quantization_debug.analyze(keras_model, inputs, inputs, io_type="uint8",
                               float_ops=["CONV_2D"])


def test_auto_mode_keeps_the_worst_layer_float_until_budget_is_met():
  model, inputs = _outlier_model()
  result = quantization_debug.analyze(model, inputs, inputs,
                                      max_auto_float_layers=3,
                                      max_relative_output_error=0.05)
  print(f"relative output error {result.initial_relative_output_error:.4f} "
        f"-> {result.relative_output_error:.4f}; {result.decisions}")
  spiky = [l for l in result.layers if "/spiky/" in l.tensor_name][0]
  assert spiky.rmse_over_scale > 5  # Far beyond rounding error.
  assert result.initial_relative_output_error > 0.2
  assert result.float_nodes == [spiky.tensor_name]
  assert result.decisions[0].reason.startswith(
      "auto: worst remaining FULLY_CONNECTED tensor (rmse_over_scale ")
  assert "exceeded the budget 0.05" in result.decisions[0].reason
  assert result.relative_output_error < 0.05 and result.budget_met is True
  assert _float_ops(result.model_bytes) == ["FULLY_CONNECTED"]


def test_auto_mode_stops_at_its_limit_and_says_so():
  model, inputs = _outlier_model()
  result = quantization_debug.analyze(model, inputs, inputs, io_type="int8",
                                      max_auto_float_layers=1,
                                      max_relative_output_error=0.0)
  assert len(result.decisions) == 1 and result.budget_met is False
  assert result.relative_output_error > 0.0
  summary = inspection.summarize(result.model_bytes)
  assert summary.input_dtypes == {"x": "int8"}  # int8 I/O with a float layer.
  assert list(summary.output_dtypes.values()) == ["int8"]


def test_inputs_are_fed_by_name_whatever_the_tflite_order():
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  keras.utils.set_random_seed(0)
  zeta = keras.Input((8,), name="zeta")
  alpha = keras.Input((2,), name="alpha")
  joined = keras.layers.Concatenate()([zeta, keras.layers.Dense(8)(alpha)])
  model = keras.Model([alpha, zeta], keras.layers.Dense(3)(joined))
  interp = inspection.interpreter(tflite_converter.convert_keras(model))
  tflite_order = [d["name"] for d in interp.get_input_details()]
  # The precondition of this test: TFLite reorders the Keras inputs.
  assert tflite_order == ["serving_default_zeta:0", "serving_default_alpha:0"]
  rng = np.random.default_rng(0)
  inputs = {"zeta": rng.uniform(size=(16, 8)).astype(np.float32),
            "alpha": rng.uniform(size=(16, 2)).astype(np.float32)}
  result = quantization_debug.analyze(model, inputs, inputs)
  assert result.relative_output_error < 0.05


def test_auto_mode_keeps_a_tensor_float_only_when_that_lowers_the_error():
  """A float island can make the output worse (Keras Normalization's truediv
  did: agreement 0.750 -> 0.639); such a tensor is put back and noted."""
  import types  # pylint: disable=g-import-not-at-top
  tensor = lambda name, rmse: types.SimpleNamespace(
      tensor_name=name, op_name="DIV", rmse_over_scale=rmse)

  class Session:

    def layer_errors(self, nodes, ops):
      del ops
      return [t for t in (tensor("worst", 186.0), tensor("second", 9.0),
                          tensor("third", 2.0)) if t.tensor_name not in nodes]

  errors = {(): 0.30, ("worst",): 0.45, ("second",): 0.10,
            ("second", "third"): 0.04}
  measure = lambda nodes, ops: errors[tuple(nodes)]
  nodes, decisions = [], []
  final = quantization_debug._keep_worst_float(  # pylint: disable=protected-access
      Session(), nodes, [], decisions, 0.30, 0.05, 2, measure)
  assert nodes == ["second", "third"] and final == 0.04
  assert [(d.kept_float, d.applied) for d in decisions] == [
      ("worst", False), ("second", True), ("third", True)]
  assert ("left int8: kept float, the model's relative output error would "
          "be 0.45, not below 0.3") in decisions[0].reason


def test_a_normalization_layers_division_is_kept_float_when_it_helps():
  """Keras Normalization over features of very different scales: its int8
  truediv is far off its scale; keeping it float lowers the output error."""
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  keras.utils.set_random_seed(0)
  rng = np.random.default_rng(0)
  data = (rng.normal(size=(400, 4)) * [1.0, 50.0, 0.01, 1000.0] +
          [0.0, 500.0, 0.0, 1e4]).astype(np.float32)
  norm = keras.layers.Normalization(name="norm")
  norm.adapt(data)
  x = keras.Input((4,), name="x")
  y = keras.layers.Dense(8, activation="relu")(norm(x))
  model = keras.Model(x, keras.layers.Dense(1)(y))
  inputs = {"x": data[:200]}
  result = quantization_debug.analyze(model, inputs, inputs)
  fragile = [d for d in result.decisions if d.reason.startswith("fragile:")]
  assert fragile, [(l.tensor_name, l.op_name, l.rmse_over_scale)
                   for l in result.layers]
  assert all(d.relative_output_error <= result.initial_relative_output_error
             for d in fragile)
  assert (result.relative_output_error <
          0.8 * result.initial_relative_output_error)
  assert result.float_nodes == [fragile[0].kept_float]
