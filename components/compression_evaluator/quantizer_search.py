"""The PostTrainingQuantizer's accuracy-budget search, read from its Model.

A candidate quantized with `accuracy_budget` has `search_trace.json` beside
its model: every configuration the search converted and judged (size,
latency, task metric, drop) and the one it kept. Other candidates get no
section.
"""

import os
from typing import Any, Dict, List, Optional, Tuple

from tfx_compression.post_training_quantizer import spec as ptq_spec


def read(candidate_uri: str) -> Optional[Dict[str, Any]]:
  """The search (`budget_search.SearchResult.to_json()` plus 'file'), None
  without the file, or {'file', 'error'} when it cannot be read."""
  from tfx.dsl.io import fileio  # pylint: disable=g-import-not-at-top
  from tfx_compression.framework import artifact_io  # pylint: disable=g-import-not-at-top
  path = os.path.join(candidate_uri, ptq_spec.SEARCH_TRACE_JSON)
  if not fileio.exists(path):
    return None
  try:
    search = artifact_io.read_json(path)
    steps = search["steps"]
    search["chosen"]["index"]  # pylint: disable=pointless-statement
  except (KeyError, TypeError, ValueError, OSError) as e:
    return {"file": path, "error": f"{type(e).__name__}: {e}"}
  return dict(search, file=path, steps=steps)


def plots(search: Dict[str, Any]) -> List[Tuple[str, str]]:
  """Size against the metric's drop for every configuration judged."""
  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.report import svg_plots
  # pylint: enable=g-import-not-at-top
  steps = [s for s in search.get("steps") or [] if s["metric"] is not None]
  if not steps:
    return []
  chosen = search["chosen"]["index"]
  points = [svg_plots.Point(
      f"{s['index']}: {s['name']}", s["size_bytes"] / 1024.0, s["drop"],
      "selected" if s["index"] == chosen else
      "candidate" if s["meets_budget"] else "not blessed",
      filled=s["meets_budget"]) for s in steps]
  return [(f"Each configuration the search judged ({len(steps)} of at most "
           f"{search['max_conversions']}): hollow ones miss the budget of "
           f"{search['budget']:g} ({search['metric_name']}); the kept one is "
           f"step {chosen}.",
           svg_plots.scatter(points, "Accuracy-budget search",
                             "size (KiB)",
                             f"drop from float ({search['metric_name']})"))]
