"""The candidate and the baseline as the evaluator runs and measures them.

Each side gets a predictor (its answers on serialized eval records, as it
will be deployed) and a TFLite file to measure:
- a TFLite model runs in the TFLite interpreter, fed the features it takes
  (raw serving features, or transformed ones through the Transform graph);
  integer inputs are quantized with their own scale and zero point;
- a SavedModel runs its `serving_default` on the serialized records, as TF
  Serving would; for size and latency it is converted to float32 TFLite
  taking the same kind of inputs as the candidate.
"""

import dataclasses
import os
import math
from typing import Any, Callable, Dict, Iterable, Optional, Sequence

import numpy as np

from tfx_compression.framework import model_files
from tfx_compression.errors import InputMismatchError
from tfx_compression.errors import UnsupportedModelError
from tfx_compression.lib.data import feature_space
from tfx_compression.lib.options.conversion import TfliteInputs
from tfx_compression.lib.keras.saved_model_io import InputSpec
from tfx_compression.lib.keras.saved_model_info import FeatureInfo

CONVERTED_DIR = "converted"  # <evaluation uri>/converted/<role>/Format-Serving/tflite
MEASURED_AS_TFLITE = "tflite"
MEASURED_AS_CONVERSION = "float32 TFLite conversion of the SavedModel"


@dataclasses.dataclass(frozen=True)
class ModelSource:
  """A model to evaluate: its `Format-Serving` directory and format."""

  role: str
  uri: str
  serving_dir: str
  is_tflite: bool


@dataclasses.dataclass
class Side:
  """One evaluated model, ready to predict and to be measured."""

  source: ModelSource
  output_names: Sequence[str]
  input_names: Sequence[str]
  serving_features: Optional[Sequence[str]]  # None: not a tf.Example signature
  tflite_bytes: bytes  # its own TFLite, or its float32 conversion
  tflite_inputs: TfliteInputs
  measured_as: str
  summary: Any  # inspection.TfliteSummary of `tflite_bytes`
  predict: Callable[[Sequence[bytes]], Any]  # records -> {output: array}
  runs_as: str  # how predictions are computed, for the report
  reads: Dict[str, FeatureInfo]  # the features it parses from each record
  output_widths: Dict[str, int]  # values per example of each output
  # `predict` as data, for a prediction pass in other processes.
  predictor: Any = None  # predictors.Predictor


def _tflite_space(summary, files, example_keys, transform_dir, role,
                  optional=()) -> feature_space.FeatureSpace:
  """How records feed a TFLite model, found from its input names.

  `optional`: raw features that may be missing (the baseline's serving
  signature parses them as VarLen), fed as their missing value when absent.
  """
  from tfx_compression.lib.data import examples_io  # pylint: disable=g-import-not-at-top
  names = set(summary.input_names)
  shapes = {n: tuple(s) for n, s in summary.input_shapes.items()}
  if names <= example_keys:
    # Integer (quantized) inputs are fed the float features: the predictor
    # quantizes them with the input's scale and zero point.
    dtypes = {n: examples_io.feature_dtype(files, n) for n in names}
    return feature_space.FeatureSpace(
        parse={n: FeatureInfo(n, dtypes[n], shapes[n], optional=n in optional)
               for n in names},
        inputs={n: InputSpec(n, shapes[n], dtypes[n]) for n in names},
        description="raw features of the examples")
  if transform_dir and names <= feature_space.transformed_names(transform_dir):
    return feature_space.behind_transform(
        {n: InputSpec(n, shapes[n], "float32") for n in names}, transform_dir,
        example_keys)
  missing = sorted(names - example_keys)
  raise InputMismatchError(
      f"{role} TFLite input(s) {missing} are neither features of the eval "
      f"examples (features: {sorted(example_keys)}) nor outputs of a "
      "Transform graph (pass transform_graph when the model takes transformed "
      "features). Feeding them anything else would be evaluated silently "
      "wrong.")


def tflite_side(source: ModelSource, files: Sequence[str],
                example_keys: Iterable[str], transform_dir: Optional[str],
                optional: Iterable[str] = ()) -> Side:
  """A TFLite Model artifact as an evaluated side (`optional`: see
  `_tflite_space`)."""
  # pylint: disable=g-import-not-at-top
  from tfx_compression.compression_evaluator import predictors
  from tfx_compression.lib.tflite import inspection
  path = model_files.tflite_path(source.uri)
  data = model_files.read_bytes(path)
  try:
    summary = inspection.summarize(data)
  except (ValueError, RuntimeError) as e:
    raise UnsupportedModelError(
        f"{path} is not a readable TFLite model: "
        f"{str(e).strip().splitlines()[0]}") from e
  space = _tflite_space(summary, files, set(example_keys), transform_dir,
                        source.role, set(optional))
  kind = (TfliteInputs.MODEL if space.transform_dir else TfliteInputs.SERVING)
  predictor = predictors.Predictor(source.role, predictors.TFLITE,
                                   tflite_bytes=data, space=space)
  return Side(
      source=source, output_names=summary.output_names,
      input_names=summary.input_names, serving_features=None,
      tflite_bytes=data, tflite_inputs=kind, measured_as=MEASURED_AS_TFLITE,
      summary=summary,
      predict=predictors.build(predictor), predictor=predictor,
      runs_as=f"TFLite interpreter on {space.description}",
      reads=dict(space.parse),
      output_widths={k: math.prod(v) for k, v in
                     summary.output_shapes.items()})


def saved_model_side(source: ModelSource, inputs: TfliteInputs,
                     transform_dir: Optional[str], output_dir: str,
                     example_keys: Iterable[str] = ()) -> Side:
  """A SavedModel artifact as an evaluated side (served by its signature).

  A `serving_default` of named tensors (tf_keras `model.save` without a
  signature, as in TFX's penguin_simple) is fed the eval examples' features
  of those names, as TFMA feeds a Keras model (`example_keys`: the features).
  """
  # pylint: disable=g-import-not-at-top
  from tfx_compression.compression_evaluator import predictors
  from tfx_compression.lib.conversion import model_loading
  from tfx_compression.lib.conversion import tflite_converter
  from tfx_compression.lib.tflite import inspection
  from tfx_compression.lib.conversion import conversion_source
  loaded = model_loading.load_for_conversion(source.serving_dir)
  info = loaded.info
  resolved = conversion_source.resolve(loaded, inputs, transform_dir, None,
                                   f"the {source.role}")
  data = tflite_converter.convert_keras(resolved.function)
  model_files.write_bytes(os.path.join(
      output_dir, CONVERTED_DIR, source.role, model_files.SERVING_DIR,
      model_files.TFLITE_FILE), data)
  if not info.serving.takes_serialized_examples:
    return _named_inputs_side(source, loaded, resolved, data, transform_dir,
                              example_keys)
  predictor = predictors.Predictor(source.role, predictors.SERVING,
                                   serving_dir=source.serving_dir)
  return Side(
      source=source, output_names=info.output_keys,
      input_names=sorted(loaded.function.input_specs),
      serving_features=sorted(info.serving_features or ()),
      tflite_bytes=data, tflite_inputs=resolved.inputs,
      measured_as=MEASURED_AS_CONVERSION,
      summary=inspection.summarize(data),
      predict=predictors.register(predictor, loaded.serving_outputs),
      predictor=predictor,
      runs_as="serving_default on the serialized examples",
      reads=dict(info.serving_features or {}),
      output_widths={k: math.prod(v.shape[1:]) for k, v in
                     info.serving.outputs.items()})


def _named_inputs_side(source, loaded, resolved, data, transform_dir,
                       example_keys) -> Side:
  """A SavedModel whose serving_default takes named tensors: fed the
  features of those names (through the Transform graph when it computes
  them)."""
  # pylint: disable=g-import-not-at-top
  from tfx_compression.compression_evaluator import predictors
  from tfx_compression.lib.tflite import inspection
  from tfx_compression.lib.conversion import conversion_source
  # pylint: enable=g-import-not-at-top
  signature = loaded.info.serving
  variable = {n: t.shape for n, t in signature.inputs.items()
              if any(d < 0 for d in t.shape[1:])}
  if variable:
    raise InputMismatchError(
        f"the {source.role} SavedModel's serving_default takes tensors "
        f"{sorted(signature.inputs)}, not serialized tf.Examples, and "
        f"{variable} have no fixed per-example shape to parse them with; "
        "save the model with a serving signature that parses tf.Examples "
        "(TFX's examples: signatures={'serving_default': ...})")
  specs = {n: InputSpec(n, tuple(t.shape[1:]), t.dtype)
           for n, t in signature.inputs.items()}
  space = feature_space.for_model(specs, example_keys, transform_dir,
                                  "the eval examples")

  def predict(records):
    return loaded.tensor_outputs(conversion_source.read_inputs(space, records))

  predictor = predictors.Predictor(source.role, predictors.NAMED,
                                   serving_dir=source.serving_dir, space=space)
  return Side(
      source=source, output_names=loaded.info.output_keys,
      input_names=sorted(specs), serving_features=None, tflite_bytes=data,
      tflite_inputs=resolved.inputs, measured_as=MEASURED_AS_CONVERSION,
      summary=inspection.summarize(data),
      predict=predictors.register(predictor, predict), predictor=predictor,
      runs_as=f"serving_default on {space.description} (by input name, as "
      "TFMA feeds a Keras model)",
      reads=dict(space.parse),
      output_widths={k: math.prod(v.shape[1:]) for k, v in
                     signature.outputs.items()})


def prediction_key(key: Optional[str], sides: Sequence[Side]) -> str:
  """The output compared with the label: `key`, or every side's only output.

  Raises:
    InputMismatchError: `key` is not an output of every side, or there are
      several outputs and no key.
  """
  outputs = {s.source.role: list(s.output_names) for s in sides}
  if key:
    missing = [role for role, names in outputs.items() if key not in names]
    if missing:
      raise InputMismatchError(
          f"prediction_key {key!r} is not an output of the {missing} model(s) "
          f"(outputs: {outputs})")
    return key
  names = {tuple(v) for v in outputs.values()}
  if len(names) == 1 and len(next(iter(names))) == 1:
    return next(iter(names))[0]
  raise InputMismatchError(
      f"Cannot derive the prediction key: the models' outputs are {outputs} "
      "(read from their serving signatures and TFLite signatures); set "
      "prediction_key to the output holding the predictions.")


def as_matrix(values) -> np.ndarray:
  """Predictions as [examples, values] float32."""
  values = np.asarray(values, np.float32)
  return values.reshape(len(values), -1)
