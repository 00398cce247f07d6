"""What a fine-tuning run chose, as report.json entries and artifact properties.

Shared by the executors that fine-tune (Pruner, QuantizationAwareTrainer):
each records whether it distilled (and with which alpha / temperature), and
QAT how its quantizer ranges started and what BatchNormalization did.
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
