"""How a side predicts on serialized records, rebuildable in any process.

A `Predictor` names what it runs (TFLite bytes, or a SavedModel directory)
and how records become its inputs; it pickles, so the prediction pass can
run as a Beam job whose workers build it again (`build`). In the process
that made the side, `build` returns the side's own function: the model is
not loaded twice (`register`).
"""

import dataclasses
import hashlib
import threading
from typing import Callable, Dict, Mapping, Optional, Sequence

import numpy as np

TFLITE = "tflite"  # the TFLite interpreter on `space`'s inputs
SERVING = "serving"  # a SavedModel's serving_default on serialized records
NAMED = "named"  # a SavedModel's serving_default of named tensors on `space`

Predict = Callable[[Sequence[bytes]], Mapping[str, np.ndarray]]


@dataclasses.dataclass(frozen=True)
class Predictor:
  """What a side runs, as data."""

  role: str
  kind: str
  tflite_bytes: bytes = dataclasses.field(default=b"", repr=False)
  serving_dir: str = ""
  space: Optional[object] = None  # feature_space.FeatureSpace

  @property
  def key(self) -> str:
    digest = hashlib.blake2b(self.tflite_bytes, digest_size=8).hexdigest()
    return f"{self.role}|{self.kind}|{self.serving_dir}|{digest}"


_LOCAL: Dict[str, Predict] = {}
_LOCK = threading.Lock()


def register(predictor: Predictor, predict: Predict) -> Predict:
  """Makes `build(predictor)` in this process return `predict`."""
  with _LOCK:
    _LOCAL[predictor.key] = predict
  return predict


def build(predictor: Predictor) -> Predict:
  """The records -> {output: array} function of `predictor`."""
  with _LOCK:
    local = _LOCAL.get(predictor.key)
  if local is not None:
    return local
  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.conversion import conversion_source
  from tfx_compression.lib.tflite import inference
  # pylint: enable=g-import-not-at-top
  if predictor.kind == TFLITE:
    data, space = predictor.tflite_bytes, predictor.space
    return register(predictor, lambda records: inference.predict_batched(
        data, conversion_source.read_inputs(space, records)))
  from tfx_compression.lib.conversion import model_loading  # pylint: disable=g-import-not-at-top
  loaded = model_loading.load_for_conversion(predictor.serving_dir)
  if predictor.kind == SERVING:
    return register(predictor, loaded.serving_outputs)
  space = predictor.space
  return register(predictor, lambda records: loaded.tensor_outputs(
      conversion_source.read_inputs(space, records)))


def release(predictor_list: Optional[Sequence[Predictor]] = None) -> None:
  """Forgets the functions registered for `predictor_list` (None: all),
  and with them their models."""
  with _LOCK:
    if predictor_list is None:
      _LOCAL.clear()
    for predictor in predictor_list or ():
      _LOCAL.pop(predictor.key, None)
