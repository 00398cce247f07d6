"""What a fine-tuning run did, as report.json entries and artifact properties.

`report`: the input model (how it was saved, rebuilt, trusted) and the
export.

`report_entries` / `set_properties`: whether it distilled (and with which
alpha / temperature), and for QAT how its quantizer ranges started and what
BatchNormalization did (every fine-tuning path records these).
`set_keras_model_properties`: the format and eval_<metric> properties of a
fine-tuned Keras Model (Pruner, WeightClusterer).
"""

import dataclasses
import json
from typing import Any, Dict, Optional

from tfx_compression.framework import properties


def report_entries(result) -> Dict[str, Any]:
  """report.json entries for a runner result (prune, channel or QAT)."""
  entries = {"distillation": result.distillation.to_dict(),
             "fine_tuning_seconds": result.fit_seconds,
             "fine_tuning_replicas": getattr(result, "replicas", 1)}
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


def report(loaded, data, reproduced: Optional[float],
           export_diff: Optional[float], trusted: bool) -> Dict[str, Any]:
  """The report.json entries about the input model and the export."""
  return {
      "source_saved_with": loaded.info.saved_with,
      "inputs_from": data.inputs_from,
      "label": data.label,
      "rebuilt_by_model_fn_max_abs_diff": reproduced,
      "trusted_model_code": trusted,
      "export_serving_max_abs_diff": export_diff,
      "task": data.task.to_dict() if data.task else None,
  }


def set_trust_property(artifact, trusted: bool) -> None:
  """Records on `artifact` that code stored in its source artifact ran."""
  if trusted:
    artifact.set_int_custom_property(properties.TRUSTED_MODEL_CODE, 1)
