"""How serialized tf.Examples become the inputs of a model (or of its TFLite).

A model reads one of three things, and every component must feed it exactly
that:
- features stored as they are (`direct`): the tf.Example keys are the input
  names, e.g. a model trained on ExampleGen output, or on Transform's
  `transformed_examples` when those are what the component is given;
- raw features behind a Transform graph (`behind_transform`): the records
  are parsed with the raw feature spec and the Transform graph computes the
  model's `*_xf` inputs, as the serving signature of a TFX Transform
  pipeline does;
- the raw serving features themselves (`serving`): what a TFLite model with
  the preprocessing folded in takes.

Labels and names are derived where the artifacts say them (`derive_label`)
and refused with what was read when they do not.
"""

import dataclasses
import functools
from typing import Dict, Iterable, Mapping, Optional, Set

from tfx_compression.errors import InputMismatchError
from tfx_compression.errors import UnsupportedModelError
from tfx_compression.lib.keras.saved_model_io import InputSpec
from tfx_compression.lib.keras.saved_model_info import FeatureInfo

_INT_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16")
_FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")


@dataclasses.dataclass(frozen=True)
class FeatureSpace:
  """Parse spec, optional Transform graph, and the named inputs handed on.

  Attributes:
    parse: Features parsed from each record (dense).
    inputs: The tensors handed on, by name, cast to these dtypes.
    transform_dir: A Transform graph applied to the parsed features first.
    label: The label's name: a parsed feature, or a Transform output.
    description: Where the inputs come from, for reports and messages.
  """

  parse: Dict[str, FeatureInfo]
  inputs: Dict[str, InputSpec]
  transform_dir: Optional[str] = None
  label: Optional[str] = None
  description: str = ""

  def with_label(self, label: Optional[str],
                 label_info: Optional[FeatureInfo] = None) -> "FeatureSpace":
    """This space, also yielding `label` (parsed when `label_info` is given)."""
    parse = dict(self.parse)
    if label_info is not None:
      parse[label] = label_info
    return dataclasses.replace(self, parse=parse, label=label)

  def parse_fn(self):
    """A function from a batch of serialized tf.Examples to the inputs.

    With a label it returns `(inputs, label)`, the label flattened to one
    value per example when it has one.
    """
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    spec = {name: f.to_tf() for name, f in self.parse.items()}
    layer = raw_keys = None
    if self.transform_dir:
      layer = transform_layer(self.transform_dir)
      raw_keys = set(transform_output(self.transform_dir).raw_feature_spec())
    inputs, label = self.inputs, self.label

    optional = {n: f for n, f in self.parse.items() if f.optional}

    def parse(serialized):
      features = tf.io.parse_example(serialized, spec)
      raw = {k: v for k, v in features.items() if k in (raw_keys or ())}
      features = dict(features, **{n: dense_optional(features[n], f)
                                   for n, f in optional.items()})
      if layer is not None:
        features = dict(features, **layer(raw))
      result = {name: conform(features[name], s) for name, s in inputs.items()}
      if label is None:
        return result
      value = features[label]
      if value.shape.rank == 2 and value.shape[1] == 1:
        value = tf.reshape(value, [-1])
      return result, value

    return parse


def conform(tensor, spec: InputSpec):
  """`tensor` in the dtype and per-example shape of model input `spec`.

  A Transform graph's outputs need not match the model's Keras Inputs: TFX's
  taxi example gives rank-1 int64 ids to int32 [None, 1] inputs (a Keras
  model conforms them when called; a restored SavedModel does not).
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  if not isinstance(tensor, tf.Tensor):
    return tensor
  shape = list(spec.shape)
  if all(d is not None and d > 0 for d in shape):
    # Also when the shape is already right: behind a select TF op the
    # converter knows no rank, and e.g. REDUCE_MAX then fails to prepare.
    tensor = tf.reshape(tensor, [-1] + shape)
  elif tensor.shape.rank == 1 and shape == [1]:
    tensor = tf.expand_dims(tensor, -1)
  if spec.dtype != "string" and tensor.dtype != tf.dtypes.as_dtype(spec.dtype):
    tensor = tf.cast(tensor, spec.dtype)
  return tensor


def dense_optional(sparse, info: FeatureInfo):
  """A parsed optional (VarLen) feature as a [batch, 1] dense tensor, missing
  values given as `info.missing_value()`."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  batch = tf.shape(sparse, out_type=tf.int64)[0]
  return tf.sparse.to_dense(
      tf.sparse.reset_shape(sparse, tf.stack([batch, 1])),
      default_value=tf.constant(info.missing_value(), sparse.dtype))


def as_sparse(dense):
  """A [batch, 1] dense tensor as the SparseTensor a VarLen parse gives, every
  value present (what a Transform graph's VarLen raw feature takes)."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  batch = tf.shape(dense, out_type=tf.int64)[0]
  rows = tf.range(batch, dtype=tf.int64)
  return tf.sparse.SparseTensor(
      indices=tf.stack([rows, tf.zeros_like(rows)], axis=1),
      values=tf.reshape(dense, [-1]), dense_shape=tf.stack([batch, 1]))


def _feature_info(spec: InputSpec) -> FeatureInfo:
  if any(d < 0 for d in spec.shape):
    raise UnsupportedModelError(
        f"Model input {spec.name!r} has a variable shape {spec.shape}; "
        "only fixed-shape inputs can be read from tf.Examples.")
  if spec.dtype in _FLOAT_DTYPES:
    dtype = "float32"
  elif spec.dtype in _INT_DTYPES:
    dtype = "int64"
  elif spec.dtype == "string":
    dtype = "string"
  else:
    raise UnsupportedModelError(
        f"Model input {spec.name!r} has dtype {spec.dtype}, which has no "
        "tf.Example equivalent.")
  return FeatureInfo(spec.name, dtype, tuple(spec.shape))


def direct(specs: Mapping[str, InputSpec], description: str = "") -> FeatureSpace:
  """The inputs read as tf.Example features of the same names."""
  return FeatureSpace(parse={n: _feature_info(s) for n, s in specs.items()},
                      inputs=dict(specs),
                      description=description or "tf.Example features")


def serving(features: Mapping[str, FeatureInfo]) -> FeatureSpace:
  """The raw features a serving signature parses, as they are parsed."""
  return FeatureSpace(
      parse=dict(features),
      inputs={n: InputSpec(n, tuple(f.shape), f.dtype)
              for n, f in features.items()},
      description="raw features parsed by serving_default")


@functools.lru_cache(maxsize=8)
def transform_output(transform_dir: str):
  """The `tft.TFTransformOutput` of a TransformGraph directory (cached)."""
  import tensorflow_transform as tft  # pylint: disable=g-import-not-at-top
  try:
    return tft.TFTransformOutput(transform_dir)
  except Exception as e:  # pylint: disable=broad-except
    raise UnsupportedModelError(
        f"{transform_dir} is not a readable Transform graph "
        f"({type(e).__name__}: {e})") from e


def transform_layer(transform_dir: str):
  """The Transform graph of `transform_dir` as a Keras layer."""
  return transform_output(transform_dir).transform_features_layer()


def raw_features(transform_dir: str) -> Dict[str, FeatureInfo]:
  """The raw features of a Transform graph's schema (VarLen ones optional).

  Raises:
    UnsupportedModelError: a raw feature is sparse (SparseFeature) or ragged.
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  features = {}
  for name, spec in transform_output(transform_dir).raw_feature_spec().items():
    if isinstance(spec, tf.io.VarLenFeature):
      features[name] = FeatureInfo(name, spec.dtype.name, (1,), optional=True)
      continue
    if not isinstance(spec, tf.io.FixedLenFeature):
      raise UnsupportedModelError(
          f"raw feature {name!r} of the Transform graph {transform_dir} is "
          f"{type(spec).__name__}; only FixedLenFeature and VarLenFeature "
          "(missing values) features can be fed to a compressed model")
    default = spec.default_value
    if default is not None:
      import numpy as np  # pylint: disable=g-import-not-at-top
      default = tuple(np.ravel(default).tolist())
    features[name] = FeatureInfo(name, spec.dtype.name,
                                 tuple(int(d) for d in spec.shape), default)
  return features


def transformed_names(transform_dir: str) -> Set[str]:
  return set(transform_output(transform_dir).transformed_feature_spec())


def behind_transform(specs: Mapping[str, InputSpec], transform_dir: str,
                     example_keys: Iterable[str]) -> FeatureSpace:
  """Raw features parsed and transformed into the model inputs `specs`.

  Raises:
    InputMismatchError: the Transform graph does not produce every input, or
      the examples lack raw features it needs.
  """
  produced = transformed_names(transform_dir)
  missing = sorted(set(specs) - produced)
  if missing:
    raise InputMismatchError(
        f"Model input(s) {missing} are not produced by the Transform graph "
        f"{transform_dir} (it produces {sorted(produced)}).")
  keys = set(example_keys)
  raw = raw_features(transform_dir)
  absent = sorted(set(raw) - keys)
  if absent:
    raise InputMismatchError(
        f"The examples lack raw feature(s) {absent} that the Transform graph "
        f"{transform_dir} reads (examples have {sorted(keys)}); pass the raw "
        "Examples the Transform component read, not its transformed_examples.")
  return FeatureSpace(parse=raw, inputs=dict(specs), transform_dir=transform_dir,
                      description=f"raw features through the Transform graph "
                      f"{transform_dir}")


def for_model(specs: Mapping[str, InputSpec], example_keys: Iterable[str],
              transform_dir: Optional[str], source: str) -> FeatureSpace:
  """The space in which examples with `example_keys` feed a model's inputs.

  The examples feed the inputs directly when they hold every input (e.g.
  Transform's transformed_examples, or a model without Transform); otherwise
  through the Transform graph.

  Raises:
    InputMismatchError: neither works; says what the examples hold and, for
      a model reading transformed features, that transform_graph is needed.
  """
  keys = set(example_keys)
  if set(specs) <= keys:
    return direct(specs, f"features of {source}")
  if transform_dir:
    return behind_transform(specs, transform_dir, keys)
  missing = sorted(set(specs) - keys)
  raise InputMismatchError(
      f"Model input(s) {missing} are not features of {source} (features: "
      f"{sorted(keys)}). If the model reads features computed by Transform "
      "(e.g. '*_xf'), pass the pipeline's transform_graph "
      "(add_compression(..., transform_graph=transform.outputs"
      "['transform_graph'])); otherwise name each Keras Input after the "
      "tf.Example feature it reads.")


def derive_label(label_key: Optional[str], example_keys: Iterable[str],
                 serving_features: Optional[Iterable[str]],
                 input_names: Iterable[str], source: str,
                 transform_dir: Optional[str] = None) -> str:
  """The label's name: `label_key`, or the one feature serving does not read.

  The serving signature parses every feature a model needs at serving time,
  so the label is the feature of the examples that it does not parse and
  that is no model input; or its transformed version `<label>_xf` when the
  Transform graph outputs one (TFX's examples' naming). A `label_key` must be a feature of the examples or
  an output of the Transform graph.

  Raises:
    InputMismatchError: `label_key` is neither, or it cannot be derived
      (none or several candidates, listed).
  """
  keys = set(example_keys)
  produced = transformed_names(transform_dir) if transform_dir else set()
  if label_key:
    if label_key in keys or label_key in produced:
      return label_key
    raise InputMismatchError(
        f"label_key {label_key!r} is not a feature of {source} (features: "
        f"{sorted(keys)})" + (f" nor an output of the Transform graph "
                              f"({sorted(produced)})" if produced else ""))
  serving_keys = set(serving_features or ())
  candidates = sorted(keys - serving_keys - set(input_names))
  if len(candidates) == 1:
    # A Transform that outputs the label transformed (TFX's examples name it
    # '<label>_xf') trained the model on that: taxi's 0/1 'tips_xf', not the
    # raw amount 'tips'.
    transformed = f"{candidates[0]}_xf"
    if transformed in produced and transformed not in set(input_names):
      return transformed
    return candidates[0]
  read = (f"serving_default parses {sorted(serving_keys)}" if serving_keys
          else "serving_default takes no serialized tf.Examples")
  raise InputMismatchError(
      f"Cannot derive the label of {source}: {read}, so the label is the "
      f"feature it does not parse, but the examples have "
      f"{len(candidates)} such features {candidates}. Set label_key.")


def dataset(files, space: FeatureSpace, batch_size: int, shuffle: bool,
            seed: int = 0):
  """Batches of `space`'s inputs (and label) from tf.Example TFRecord `files`.

  With `shuffle` (training) the records repeat forever before batching, so
  every batch is full: a last batch of a few examples would give
  BatchNormalization layers near-degenerate batch statistics (a MobileNetV2
  fine-tuned on 1,442 examples in batches of 32 collapsed on the batch of 2).
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.data import examples_io  # pylint: disable=g-import-not-at-top
  ds = tf.data.TFRecordDataset(list(files),
                               compression_type=examples_io.compression_of(files))
  if shuffle:
    ds = ds.shuffle(10_000, seed=seed, reshuffle_each_iteration=True).repeat()
  return ds.batch(batch_size).map(space.parse_fn(),
                                  num_parallel_calls=tf.data.AUTOTUNE).prefetch(2)
