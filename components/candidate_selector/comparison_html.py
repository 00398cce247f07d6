"""comparison.html: the candidates' table and plots as one self-contained page."""

import html
import os
from typing import Any, Mapping, Optional

from tfx_compression.framework import properties

_STYLE = """
body { font-family: sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
tr.selected { background: #fde0dc; font-weight: bold; }
tr.refused { color: #888; }
tr.baseline { background: #eef3fb; font-style: italic; }
.plots { display: flex; flex-wrap: wrap; gap: 1em; }
"""

# (header, figure, scale, format)
_COLUMNS = (("gzip KB", properties.GZIP_SIZE_BYTES, 1 / 1024, ".1f"),
            ("size KB", properties.SIZE_BYTES, 1 / 1024, ".1f"),
            ("latency median µs", properties.LATENCY_MEDIAN_US, 1, ".0f"),
            ("peak memory KB", properties.PEAK_MEMORY_BYTES, 1 / 1024, ".0f"))


def _e(value: Any) -> str:
  return html.escape(str(value))


def _number(value, scale=1.0, spec=".4f") -> str:
  return format(value * scale, spec) if isinstance(value, (int, float)) else "–"


def _plot(comparison: Mapping[str, Any], figure: str, scale: float,
          x_label: str, title: str, frontier_key: str) -> Optional[str]:
  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.report import svg_plots
  metric = comparison["quality_metric"]
  points = []
  for c in comparison["candidates"]:
    x, y = c["figures"].get(figure), c["figures"].get(metric)
    if x is None or y is None:
      continue
    key = ("selected" if c["selected"] else
           "candidate" if c["eligible"] else "not blessed")
    points.append(svg_plots.Point(c["variant"], x * scale, y, key,
                                  filled=c["eligible"]))
  if not points:
    return None
  name = metric[len(properties.EVAL_METRIC_PREFIX):]
  higher = comparison.get("quality_higher_is_better", True)
  return svg_plots.scatter(
      points, f"{name} vs {title}", x_label,
      name + (" (fraction)" if higher else " (lower is better)"),
      frontier=comparison["frontier"][frontier_key])


# The score column's unit, by objective (`weights`: a unitless sum).
_SCORE_LABELS = {"smallest": "score: gzip bytes (lower wins)",
                 "fastest": "score: median µs at batch 1 (lower wins)",
                 "weights": "score: weighted sum (higher wins)"}


def _change(figures: Mapping[str, float], metric: str) -> str:
  """The change vs the baseline, with its 95 % interval when measured."""
  change = _number(figures.get(metric + properties.EVAL_DIFF_SUFFIX), 1,
                   "+.4f")
  low = figures.get(metric + properties.EVAL_DIFF_LOW_SUFFIX)
  high = figures.get(metric + properties.EVAL_DIFF_HIGH_SUFFIX)
  if low is None or high is None:
    return change
  return f"{change} [{low:+.4f}, {high:+.4f}]"


def _baseline_row(baseline: Optional[Mapping[str, Any]], metric) -> str:
  """The model every candidate is compared with, as the evaluator measured
  it (empty when no evaluation measured it)."""
  if not baseline:
    return ""
  f = baseline["figures"]
  cells = ["baseline", "–"]
  if metric:
    cells += [_number(f.get(metric)), "±0 (reference)"]
  cells += [_number(f.get(figure), scale, spec)
            for _, figure, scale, spec in _COLUMNS]
  cells += ["–", "–", f"the model compressed ({baseline['uri']}), measured "
            f"as {baseline['measured_as']}"]
  report = os.path.join(baseline["evaluation_uri"], "report.html")
  return ("<tr class='baseline'>" + "".join(f"<td>{_e(v)}</td>"
                                           for v in cells) +
          f"<td><a href='{_e(report)}'>report</a></td></tr>")


def render(comparison: Mapping[str, Any]) -> str:
  """The page of a `runner.comparison` dict."""
  metric = comparison["quality_metric"]
  header = (["variant", "verdict"] +
            ([metric[len(properties.EVAL_METRIC_PREFIX):], "vs baseline [95 % interval]"]
             if metric else []) +
            [c[0] for c in _COLUMNS] +
            [_SCORE_LABELS.get(comparison["objective"], "score"), "rank",
             "why not", "report"])
  rows = [_baseline_row(comparison.get("baseline"), metric)]
  for c in comparison["candidates"]:
    f = c["figures"]
    cells = [c["variant"] + (" ★ selected" if c["selected"] else ""),
             c["verdict"] or "–"]
    if metric:
      cells += [_number(f.get(metric)), _change(f, metric)]
    cells += [_number(f.get(figure), scale, spec)
              for _, figure, scale, spec in _COLUMNS]
    cells += [_number(c["score"], 1, ".4g"), c["rank"] or "–",
              "; ".join(c["problems"]) or ("" if c["blessed"]
                                           else "not blessed")]
    css = "selected" if c["selected"] else ("" if c["eligible"] else "refused")
    report = (os.path.join(c["evaluation_uri"], "report.html")
              if c["evaluation_uri"] else "")
    link = f"<a href='{_e(report)}'>report</a>" if report else "–"
    rows.append(f"<tr class='{css}'>" + "".join(
        f"<td>{_e(v)}</td>" for v in cells) + f"<td>{link}</td></tr>")
  plots = []
  if metric:
    plots = [p for p in (
        _plot(comparison, properties.GZIP_SIZE_BYTES, 1 / 1024,
              "gzip size (KB)", "size", "size"),
        _plot(comparison, properties.LATENCY_MEDIAN_US, 1,
              "latency median, batch 1 (µs)", "latency",
              "latency")) if p]
  selected = comparison["selected"]
  weights = (f" weights {_e(comparison['weights'])}"
             if comparison["weights"] else "")
  return "".join([
      "<!DOCTYPE html><html><head><meta charset='utf-8'>",
      "<title>CandidateSelector: ", _e(selected or "nothing selected"),
      "</title><style>", _STYLE, "</style></head><body>",
      "<h1>Candidate comparison</h1>",
      f"<p>Objective <b>{_e(comparison['objective'])}</b>{weights}; "
      f"ties broken by {_e(', '.join(comparison['tie_break']))}.</p>",
      f"<p><b>Selected: {_e(selected or 'none (nothing is pushed)')}</b> — "
      f"{_e(comparison['reason'])}</p>",
      "<table><tr>", "".join(f"<th>{_e(h)}</th>" for h in header), "</tr>",
      "".join(rows), "</table>",
      "<p>Filled markers: blessed candidates with a complete evaluation "
      "(the only ones that can be selected); hollow: the others. The dashed "
      "line joins the Pareto frontier of the selectable candidates; the "
      "selected one is red.</p>",
      "<div class='plots'>", "".join(f"<div>{p}</div>" for p in plots),
      "</div></body></html>"])
