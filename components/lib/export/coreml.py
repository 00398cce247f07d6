"""Keras -> Core ML ML Program with coremltools, and a structural validation.

Knows nothing of TFX artifacts. Conversion and the structural checks run on
Linux; running a Core ML model needs macOS (coremltools' runtime), so the
checks here read the saved package's spec instead of predicting.
"""

import dataclasses
import os
from typing import Dict, List

from tfx_compression.errors import ConversionError
from tfx_compression.errors import ModelValidationError
from tfx_compression.lib.options.coreml import Precision
from tfx_compression.lib.options.coreml import WeightQuantization

# Core ML needs iOS 16 / macOS 13 for int8 weights (constexpr ops); the same
# target for every package keeps one layout.
DEPLOYMENT_TARGET = "iOS16"
WEIGHTS_FILE = os.path.join("Data", "com.apple.CoreML", "weights",
                            "weight.bin")


@dataclasses.dataclass(frozen=True)
class Feature:
  name: str
  shape: List[int]
  dtype: str


@dataclasses.dataclass(frozen=True)
class PackageSummary:
  """What a saved .mlpackage holds, read from its spec."""

  inputs: List[Feature]
  outputs: List[Feature]
  specification_version: int
  ops: Dict[str, int]  # MIL op type -> count
  package_bytes: int  # every file of the package
  weight_bytes: int  # Data/com.apple.CoreML/weights/weight.bin


def _ct():
  from tfx_compression import extras  # pylint: disable=g-import-not-at-top
  return extras.require("coremltools", extras.CORE_ML, "CoreMLConverter")


def expected_features(keras_model) -> Dict[str, List[Feature]]:
  """The Keras model's inputs and outputs at batch 1 (what Core ML gets)."""
  def feature(name, tensor):
    return Feature(name, [1] + [int(d) for d in tensor.shape[1:]],
                   "float32")
  return {"inputs": [feature(t.name.split(":")[0], t)
                     for t in keras_model.inputs],
          "outputs": [feature(n, t) for n, t in zip(keras_model.output_names,
                                                    keras_model.outputs)]}


def convert(keras_model, precision: Precision,
            weight_quantization: WeightQuantization, path: str) -> None:
  """Converts `keras_model` to an ML Program saved at `path` (.mlpackage).

  Inputs keep the Keras Input names with batch 1; outputs are renamed to
  the Keras output names.

  Raises:
    ConversionError: coremltools failed (the message names the model).
  """
  ct = _ct()
  import numpy as np  # pylint: disable=g-import-not-at-top
  expected = expected_features(keras_model)
  try:
    mlmodel = ct.convert(
        keras_model, source="tensorflow", convert_to="mlprogram",
        inputs=[ct.TensorType(name=f.name, shape=tuple(f.shape),
                              dtype=np.float32)
                for f in expected["inputs"]],
        compute_precision=(ct.precision.FLOAT16
                           if precision is Precision.FLOAT16
                           else ct.precision.FLOAT32),
        minimum_deployment_target=getattr(ct.target, DEPLOYMENT_TARGET),
        skip_model_load=True)
    spec = mlmodel.get_spec()
    for feature, wanted in zip(list(spec.description.output),
                               expected["outputs"]):
      if feature.name != wanted.name:
        ct.utils.rename_feature(spec, feature.name, wanted.name)
    mlmodel = ct.models.MLModel(spec, weights_dir=mlmodel.weights_dir,
                                skip_model_load=True)
    if weight_quantization is WeightQuantization.INT8:
      cto = ct.optimize.coreml
      mlmodel = cto.linear_quantize_weights(
          mlmodel, config=cto.OptimizationConfig(
              global_config=cto.OpLinearQuantizerConfig(
                  mode="linear_symmetric", dtype="int8")))
    mlmodel.save(path)
  except Exception as e:  # pylint: disable=broad-except
    raise ConversionError(
        f"coremltools {ct.__version__} could not convert Keras model "
        f"{keras_model.name!r} to an ML Program: {type(e).__name__}: {e}"
    ) from e


def _dtype(array_type) -> str:
  ct = _ct()
  names = {v: k.lower() for k, v in
           ct.proto.FeatureTypes_pb2.ArrayFeatureType.ArrayDataType.items()}
  return names.get(array_type.dataType, str(array_type.dataType))


def summarize(path: str) -> PackageSummary:
  """Loads the saved package's spec (no Core ML runtime) and describes it."""
  ct = _ct()
  spec = ct.models.MLModel(path, skip_model_load=True).get_spec()
  features = lambda fs: [Feature(f.name, [int(d) for d in
                                          f.type.multiArrayType.shape],
                                 _dtype(f.type.multiArrayType)) for f in fs]
  ops = {}
  for function in spec.mlProgram.functions.values():
    for block in function.block_specializations.values():
      for op in block.operations:
        ops[op.type] = ops.get(op.type, 0) + 1
  sizes = [os.path.getsize(os.path.join(root, name))
           for root, _, names in os.walk(path) for name in names]
  weights = os.path.join(path, WEIGHTS_FILE)
  return PackageSummary(
      inputs=features(spec.description.input),
      outputs=features(spec.description.output),
      specification_version=int(spec.specificationVersion),
      ops=dict(sorted(ops.items())), package_bytes=sum(sizes),
      weight_bytes=os.path.getsize(weights) if os.path.exists(weights) else 0)


def validate(summary: PackageSummary, keras_model) -> None:
  """Checks the package's inputs and outputs against the Keras model's.

  Raises:
    ModelValidationError: a name or a shape differs (both are listed).
  """
  expected = expected_features(keras_model)
  for kind in ("inputs", "outputs"):
    got = [(f.name, f.shape) for f in getattr(summary, kind)]
    want = [(f.name, f.shape) for f in expected[kind]]
    if sorted(got) != sorted(want):
      raise ModelValidationError(
          f"The Core ML package's {kind} {got} differ from the Keras "
          f"model's {want} (name, shape at batch 1)")
