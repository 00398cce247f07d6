"""What a fine-tuning run chose, as report.json entries and artifact properties.

`report_entries` / `set_properties`: whether it distilled (and with which
alpha / temperature), and for QAT how its quantizer ranges started and what
BatchNormalization did (every fine-tuning path records these).
`set_keras_model_properties`: the format and eval_<metric> properties of a
fine-tuned Keras Model (Pruner, WeightClusterer).
"""

import dataclasses
import json
from typing import Any, Dict

from tfx_compression import properties


def report_entries(result) -> Dict[str, Any]:
  """report.json entries for a runner result (prune, channel or QAT)."""
  entries = {"distillation": result.distillation.to_dict(),
             "fine_tuning_seconds": result.fit_seconds}
  if hasattr(result, "ranges"):  # QAT
    entries.update(
        range_calibration=(dataclasses.asdict(result.ranges)
                           if result.ranges else None),
        frozen_batch_norm=list(result.frozen_batch_norm),
        eval_qat_before_fine_tuning=dict(result.eval_qat_start))
  return entries


def set_properties(artifact, result) -> None:
  """Custom properties recording the fine-tuning choices on `artifact`."""
  artifact.set_string_custom_property(
      properties.DISTILLATION,
      json.dumps(result.distillation.to_dict(), sort_keys=True))
  if hasattr(result, "ranges"):
    artifact.set_string_custom_property(
        properties.QAT_RANGE_INIT,
        properties.RANGES_CALIBRATED if result.ranges
        else properties.RANGES_TFMOT_DEFAULT)


def set_keras_model_properties(artifact, eval_after) -> None:
  """The Keras SavedModel format and `eval_<metric>` (after fine-tuning)."""
  artifact.set_string_custom_property(properties.MODEL_FORMAT,
                                      properties.FORMAT_KERAS_SAVED_MODEL)
  for key, value in eval_after.items():
    artifact.set_float_custom_property(f"eval_{key}", value)
