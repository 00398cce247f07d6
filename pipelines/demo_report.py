"""The demo's final table, read back from a finished local run's MLMD."""

import dataclasses
import os
from typing import List, Optional, Sequence

from tfx_compression.candidate_selector import spec as selector_spec
from tfx_compression.compression_evaluator import spec as evaluator_spec
from tfx_compression.framework import artifact_io
from tfx_compression.framework import blessing as blessing_io
from tfx_compression.framework import model_files
from tfx_compression.framework import properties
from tfx_compression.pipelines import compression
from tfx_compression.pipelines import results

# The stock Pusher's output key and properties (tfx/components/pusher).
PUSHED_MODEL_KEY = "pushed_model"
PUSHED = "pushed"
PUSHED_DESTINATION = "pushed_destination"

HEADER = ("variant", "accuracy", "vs baseline", "size KB", "gzip KB",
          "latency us", "verdict", "selected", "pushed")
WINNER = "winner"  # the `selected` cell of the CandidateSelector's choice


@dataclasses.dataclass(frozen=True)
class Selection:
  """What the run's CandidateSelector chose and its one Pusher did."""

  variant: str  # "" when nothing was selected
  reason: str  # the selector blessing's message
  comparison_html: Optional[str]  # path of comparison.html
  pushed: bool
  pushed_to: str  # the pushed version's directory, "" when not pushed


def selection(metadata_path: str, pipeline_name: str) -> Optional[Selection]:
  """The CandidateSelector's choice, or None when the run has none."""
  outputs = results.latest_outputs(metadata_path, pipeline_name,
                                   compression.SELECTOR_ID)
  if not outputs:
    return None
  blessing = outputs[selector_spec.BLESSING_KEY][0]
  html = os.path.join(outputs[selector_spec.COMPARISON_KEY][0].uri,
                      selector_spec.COMPARISON_HTML_FILE)
  pusher = results.latest_outputs(metadata_path, pipeline_name,
                                  compression.SELECTED_PUSHER_ID)
  pushed = pusher.get(PUSHED_MODEL_KEY, [None])[0]
  was_pushed = bool(pushed and pushed.get_int_custom_property(PUSHED) == 1)
  return Selection(
      blessing.get_string_custom_property(selector_spec.PROP_SELECTED_VARIANT),
      blessing.get_string_custom_property(properties.BLESSING_MESSAGE),
      html if os.path.exists(html) else None, was_pushed,
      pushed.get_string_custom_property(PUSHED_DESTINATION)
      if was_pushed else "")


def rows(metadata_path: str, pipeline_name: str,
         variants: Sequence[str]) -> List[tuple]:
  """One row per evaluated variant: figures, verdict, whether the selector
  chose it and whether it was pushed (by the one Pusher of the selector, or
  by the variant's own Pusher)."""
  table = []
  chosen = selection(metadata_path, pipeline_name)
  for variant in variants:
    node = f"{compression.EVALUATOR_ID}.{variant}"
    outputs = results.latest_outputs(metadata_path, pipeline_name, node)
    if not outputs:
      table.append((variant,) + ("-",) * 5 + ("not run", "-", "-"))
      continue
    report = artifact_io.read_json(os.path.join(outputs[evaluator_spec.EVALUATION_KEY][0].uri,
                                     model_files.REPORT_FILE)) or {}
    overall = next((m for m in report.get("metrics", [])
                    if m.get("slice_name") in ("Overall", "")), {})
    candidate = report.get("candidate") or {}
    pushed = results.latest_outputs(
        metadata_path, pipeline_name, f"{compression.PUSHER_ID}.{variant}")
    pushed_flag, selected = "-", "-"
    if pushed:
      pushed_flag = ("yes" if pushed[PUSHED_MODEL_KEY][0].get_int_custom_property(
          PUSHED) == 1 else "no")
    if chosen is not None:
      selected = WINNER if chosen.variant == variant else "-"
      pushed_flag = "yes" if selected == WINNER and chosen.pushed else "no"
    fmt = lambda v, spec: format(v, spec) if isinstance(v, (int, float)) else "-"
    kb = lambda v: v / 1024 if isinstance(v, (int, float)) else None
    table.append((
        variant, fmt(overall.get("candidate"), ".4f"),
        fmt(overall.get("diff"), "+.4f"),
        fmt(kb(candidate.get("size_bytes")), ".1f"),
        fmt(kb(candidate.get("gzip_size_bytes")), ".1f"),
        fmt(candidate.get("latency_median_us"), ".0f"),
        "REJECTED" if report.get("rejected") else report.get("verdict", "?"),
        selected, pushed_flag))
  return table


def refusals(metadata_path: str, pipeline_name: str,
             variants: Sequence[str]) -> List[str]:
  """'NOT_BLESSED variant: reason' for each variant not blessed (the
  blessing's message); 'REJECTED variant: reason (evidence: uri)' for a
  candidate its producer rejected."""
  lines = []
  for variant in variants:
    outputs = results.latest_outputs(metadata_path, pipeline_name,
                                     f"{compression.EVALUATOR_ID}.{variant}")
    if not outputs:
      continue
    blessing = outputs[evaluator_spec.BLESSING_KEY][0]
    evaluation = outputs[evaluator_spec.EVALUATION_KEY][0]
    if blessing.get_int_custom_property(blessing_io.PROP_BLESSED) == 1:
      continue
    if evaluation.get_int_custom_property(properties.REJECTED) == 1:
      lines.append(
          f"REJECTED {variant}: " + evaluation.get_string_custom_property(
              properties.REJECTION_REASON) + " (evidence: " +
          blessing.get_string_custom_property("current_model") + ")")
      continue
    lines.append(f"NOT_BLESSED {variant}: " +
                 blessing.get_string_custom_property(
                     properties.BLESSING_MESSAGE))
  return lines


def warnings(metadata_path: str, pipeline_name: str,
             variants: Sequence[str]) -> List[str]:
  """'WARNING variant: ...' for each verdict the eval split cannot support."""
  lines = []
  for variant in variants:
    outputs = results.latest_outputs(metadata_path, pipeline_name,
                                     f"{compression.EVALUATOR_ID}.{variant}")
    if outputs:
      report = artifact_io.read_json(os.path.join(outputs[evaluator_spec.EVALUATION_KEY][0].uri,
                                     model_files.REPORT_FILE)) or {}
      lines += [f"WARNING {variant}: {w}" for w in report.get("warnings", [])]
  return lines


def format_table(table: Sequence[tuple]) -> str:
  """The rows under HEADER, as text columns (tabulate's 'simple' format)."""
  from tfx_compression import extras  # pylint: disable=g-import-not-at-top
  tabulate = extras.require("tabulate", extras.DEMO,
                            "The console table").tabulate
  return tabulate(list(table), headers=HEADER, tablefmt="simple",
                  disable_numparse=True)
