"""CandidateSelector executor: candidates in; the winner's Model, a blessing
and the comparison out.

The output Model holds a copy of the winner's `Format-Serving` directory,
which is what the stock Pusher copies, so one stock Pusher pushes the winner
exactly as a per-variant Pusher would have pushed it. With no selectable
candidate the Model stays empty and the blessing is NOT_BLESSED: the Pusher
then pushes nothing.
"""

import os
from typing import Dict

from tfx.dsl.components.base import base_executor
from tfx.dsl.io import fileio
from tfx.utils import io_utils

from tfx_compression.framework import spec_channels
from tfx_compression.framework import artifact_io
from tfx_compression.framework import blessing as blessing_io
from tfx_compression.framework import properties
from tfx_compression.framework import step_executor
from tfx_compression.candidate_selector import spec
from tfx_compression.candidate_selector.config import CandidateSelectorConfig
from tfx_compression.errors import CompressionConfigError

# Model properties copied from the winner (what it is, as its producer said).
_COPIED_MODEL_PROPERTIES = (properties.MODEL_FORMAT, properties.TFLITE_INPUTS,
                            properties.SIZE_BYTES, properties.GZIP_SIZE_BYTES,
                            properties.OPTIMIZATION,
                            properties.QUANTIZATION_MODE)


def set_property(artifact, name: str, value) -> None:
  """Sets an int, float or string custom property by its Python type."""
  if isinstance(value, bool) or isinstance(value, int):
    artifact.set_int_custom_property(name, int(value))
  elif isinstance(value, float):
    artifact.set_float_custom_property(name, value)
  else:
    artifact.set_string_custom_property(name, str(value))


def _numbers(artifact) -> Dict[str, float]:
  figures = {}
  for name in artifact.mlmd_artifact.custom_properties:
    value = artifact.get_custom_property(name)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
      figures[name] = float(value)
  return figures


def read_candidate(index: int, variant: str, inputs):
  """The candidate at `index` as a `runner.Candidate` (problems noted)."""
  from tfx_compression.candidate_selector import runner  # pylint: disable=g-import-not-at-top
  model = inputs.get(spec.model_key(index))
  evaluation = inputs.get(spec.evaluation_key(index))
  blessing = inputs.get(spec.blessing_key(index))
  candidate = runner.Candidate(variant, index)
  if model is None:
    candidate.problems.append("no model")
  else:
    candidate.model_id, candidate.model_uri = model.id, model.uri
    if not fileio.isdir(os.path.join(model.uri, artifact_io.SERVING_DIR)):
      candidate.problems.append(f"model {model.uri} has no "
                                f"{artifact_io.SERVING_DIR} directory")
  if evaluation is not None:
    candidate.evaluation_uri = evaluation.uri
    candidate.figures = _numbers(evaluation)
    if evaluation.has_custom_property(properties.EVAL_VERDICT):
      candidate.verdict = evaluation.get_string_custom_property(
          properties.EVAL_VERDICT)
    rejected = step_executor.rejection(evaluation)
    if rejected:
      candidate.verdict = "REJECTED"
      candidate.problems.append(f"rejected: {rejected}")
  if blessing is None:
    candidate.problems.append("no blessing")
    return candidate
  candidate.blessed = (
      blessing.get_int_custom_property(blessing_io.PROP_BLESSED) == 1 and
      fileio.exists(os.path.join(blessing.uri, properties.VERDICT_BLESSED)))
  # The blessing must be this model's. Compared by uri: on Kubeflow, artifact
  # ids are derived per task from runtime names, so ids are not compared.
  current = blessing_io.PROP_CURRENT_MODEL
  blessed_uri = (blessing.get_string_custom_property(current)
                 if blessing.has_custom_property(current) else "")
  if not blessed_uri:
    candidate.problems.append(
        f"its blessing names no model ({current} is missing)")
  elif model is not None and blessed_uri != model.uri:
    candidate.problems.append(
        f"its blessing is for another model ({blessed_uri})")
  return candidate


_BASELINE_FIGURES = (properties.SIZE_BYTES, properties.GZIP_SIZE_BYTES,
                     properties.LATENCY_MEDIAN_US, properties.PEAK_MEMORY_BYTES)


def read_baseline(candidates):
  """The baseline's figures as the first evaluation report measured them
  ({'figures', 'uri', 'measured_as', 'evaluation_uri'}), or None."""
  for c in candidates:
    if not c.evaluation_uri:
      continue
    try:
      report = artifact_io.read_json(
          os.path.join(c.evaluation_uri, artifact_io.REPORT_FILE)) or {}
    except (OSError, ValueError):
      continue
    measured = report.get("baseline") or {}
    if not isinstance(measured, dict) or not measured:
      continue
    figures = {k: float(measured[k]) for k in _BASELINE_FIGURES
               if isinstance(measured.get(k), (int, float))}
    for m in report.get("metrics") or ():
      if (m.get("slice_name") == "Overall" and m.get("against") == "baseline"
          and isinstance(m.get("baseline"), (int, float))):
        figures[properties.EVAL_METRIC_PREFIX + m["metric"]] = float(
            m["baseline"])
    return {"figures": figures, "uri": measured.get("uri"),
            "measured_as": measured.get("measured_as"),
            "evaluation_uri": c.evaluation_uri}
  return None


class Executor(step_executor.StepExecutor, base_executor.BaseExecutor):
  """Ranks the blessed candidates and publishes the winner for one Pusher."""

  COMPONENT = "CandidateSelector"
  CANDIDATE = False
  CONFIG = CandidateSelectorConfig
  SOURCE_KEY = None  # many candidates: errors name the output Model

  def run(self, config, inputs, outputs) -> str:
    # pylint: disable=g-import-not-at-top
    from tfx_compression.candidate_selector import comparison_html
    from tfx_compression.candidate_selector import runner

    given = {k for k in inputs if k.startswith(spec.MODEL_PREFIX)}
    if not config.variants or len(given) > len(config.variants):
      raise CompressionConfigError(
          f"CandidateSelector config names {len(config.variants)} variant(s) "
          f"{list(config.variants)} for {len(given)} model input(s)")
    model, blessing, comparison = (outputs[spec_channels.MODEL_KEY],
                                   outputs[spec.BLESSING_KEY],
                                   outputs[spec.COMPARISON_KEY])
    candidates = [read_candidate(i, v, inputs)
                  for i, v in enumerate(config.variants)]
    selection = runner.select(candidates, config)
    winner = selection.winner
    result = runner.comparison(candidates, selection, config,
                               read_baseline(candidates))
    artifact_io.write_json(
        os.path.join(comparison.uri, spec.COMPARISON_JSON_FILE), result)
    with fileio.open(os.path.join(comparison.uri,
                                  spec.COMPARISON_HTML_FILE), "w") as f:
      f.write(comparison_html.render(result))
    fileio.makedirs(model.uri)
    if winner is not None:
      io_utils.copy_dir(os.path.join(winner.model_uri, artifact_io.SERVING_DIR),
                        os.path.join(model.uri, artifact_io.SERVING_DIR))
      source = inputs[spec.model_key(winner.index)]
      for name in _COPIED_MODEL_PROPERTIES:
        if source.has_custom_property(name):
          set_property(model, name, source.get_custom_property(name))
    for artifact in (model, blessing, comparison):
      artifact.set_string_custom_property(spec.PROP_OBJECTIVE,
                                          config.objective.value)
      artifact.set_string_custom_property(
          spec.PROP_SELECTED_VARIANT, winner.variant if winner else "")
      artifact.set_int_custom_property(spec.PROP_SELECTED_MODEL_ID,
                                       winner.model_id if winner else 0)
    # BLESSED (the winner) or NOT_BLESSED (nothing to push).
    blessing_io.write(blessing, winner is not None, model.uri,
                      selection.reason,
                      winner.model_id if winner is not None else None)
    return selection.reason
