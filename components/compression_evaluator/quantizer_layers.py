"""The PostTrainingQuantizer's per-layer error, read from its Model artifact.

A candidate made by the PostTrainingQuantizer in int8 mode has
`layer_errors.csv` beside its model: one row per quantized tensor of the
fully int8 model (error measured before anything was kept float) with
`kept_float` and the reason. Other candidates have no such file and get
no section.
"""

import csv
import io
import os
from typing import Any, Dict, Optional

from tfx_compression.post_training_quantizer import spec as ptq_spec

# Rows shown in the report: the worst tensors by RMSE in quantization steps.
TOP_LAYERS = 15
_NUMBERS = ("rmse_over_scale", "max_abs_error", "mean_squared_error",
            "scale")


def read(candidate_uri: str, top: int = TOP_LAYERS) -> Optional[Dict[str, Any]]:
  """The candidate's per-layer quantization error, or None without the file.

  Returns:
    {'file', 'tensors' (quantized tensors measured), 'kept_float' (rows of
    every tensor kept float), 'top' (the `top` rows by `rmse_over_scale`)},
    rows holding tensor_name, op_name, the numbers above, kept_float and
    reason, and, from the quantizer's report.json, the model's
    'initial_relative_output_error' (fully int8) and
    'relative_output_error' (as published); or {'file', 'error'} when the
    file cannot be read.
  """
  from tfx.dsl.io import fileio  # pylint: disable=g-import-not-at-top
  path = os.path.join(candidate_uri, ptq_spec.LAYER_ERRORS_CSV)
  if not fileio.exists(path):
    return None
  try:
    with fileio.open(path, "r") as f:
      rows = [_row(r) for r in csv.DictReader(io.StringIO(f.read()))]
  except (KeyError, ValueError, OSError) as e:
    return {"file": path, "error": f"{type(e).__name__}: {e}"}
  ranked = sorted(rows, key=lambda r: -r["rmse_over_scale"])
  return dict(_output_error(candidate_uri), file=path, tensors=len(rows),
              kept_float=[r for r in ranked if r["kept_float"]],
              top=ranked[:top])


def _output_error(candidate_uri: str) -> Dict[str, Any]:
  """The model-level relative output error before and after keeping float.

  From the quantizer's report.json (`float_layers`); empty when absent.
  """
  from tfx_compression.framework import artifact_io  # pylint: disable=g-import-not-at-top
  try:
    report = artifact_io.read_json(
        os.path.join(candidate_uri, artifact_io.REPORT_FILE)) or {}
    layers = report.get("float_layers") or {}
  except (OSError, ValueError, AttributeError):
    return {}
  keys = ("initial_relative_output_error", "relative_output_error")
  return {k: layers[k] for k in keys if isinstance(layers.get(k), float)}


def _row(row: Dict[str, str]) -> Dict[str, Any]:
  values: Dict[str, Any] = {k: float(row[k]) for k in _NUMBERS}
  values.update(tensor_name=row["tensor_name"], op_name=row["op_name"],
                kept_float=row["kept_float"] == "True",
                reason=row.get("reason") or "")
  return values
