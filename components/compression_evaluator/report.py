"""The CompressionEvaluator's report as one self-contained HTML page.

The plots are inline SVG drawn by matplotlib (`report_plots`); no script,
stylesheet, font or image is fetched: the page opens from disk. Sizes are
written in KB/MB and latencies in µs/ms, never raw byte counts.
"""

import html
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

from tfx_compression.framework import properties
from tfx_compression.compression_evaluator import checks as checks_lib
from tfx_compression.compression_evaluator import report_plots
from tfx_compression.lib.report import units

TITLE = "CompressionEvaluator report"
_STYLE = (
    "body{font-family:sans-serif;margin:24px;color:#222;max-width:1400px}"
    "table{border-collapse:collapse;margin:8px 0 20px}"
    "td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px}"
    ".pass td:nth-child(2){color:#2a7d2a}.fail td:nth-child(2){color:#c00;"
    "font-weight:bold}.verdict{font-size:22px;font-weight:bold}"
    ".BLESSED{color:#2a7d2a}.NOT_BLESSED{color:#c00}"
    "figure{margin:8px;border:1px solid #eee;padding:4px}"
    "figcaption{font-size:12px;color:#555;max-width:560px}"
    ".plots{display:flex;flex-wrap:wrap;align-items:flex-start}"
    ".note{color:#555;font-size:13px}")


def _e(value: Any) -> str:
  return html.escape(str(value))


def _table(rows: List[List[Any]], header: Sequence[str],
           classes: Optional[Sequence[str]] = None) -> str:
  head = "".join(f"<th>{_e(h)}</th>" for h in header)
  body = "".join(
      f'<tr class="{classes[i] if classes else ""}">' +
      "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>"
      for i, row in enumerate(rows))
  return f"<table><tr>{head}</tr>{body}</table>"


def _number(value: Optional[float]) -> str:
  return "" if value is None else f"{value:.4g}"


def _ratio(value: Optional[float]) -> str:
  return "" if value is None else f"{value:.3f}×"


# How a check's value and threshold read, by check name (without @role).
_CHECK_FORMATS: Dict[str, Callable[[Optional[float]], str]] = {
    checks_lib.SIZE_BYTES: units.size,
    checks_lib.PEAK_MEMORY: units.size,
    checks_lib.LATENCY_MS: lambda v: units.duration_us(
        None if v is None else v * 1000),
    checks_lib.SIZE_RATIO: _ratio,
    checks_lib.LATENCY_RATIO: _ratio,
}


def _checks(report: Mapping[str, Any]) -> str:
  checks = report.get("checks") or []
  rows = []
  for c in checks:
    fmt = _CHECK_FORMATS.get(c["name"].split("@")[0], _number)
    rows.append([c["name"], "pass" if c["passed"] else "FAIL",
                 fmt(c["value"]), fmt(c["threshold"]), c["reason"]])
  return _table(rows, ["check", "result", "value", "threshold", "reason"],
                ["pass" if c["passed"] else "fail" for c in checks])


def _figures(report: Mapping[str, Any]) -> str:
  rows = []
  for role in report_plots.roles(report):
    fig = report[role]
    mem = fig.get("memory") or {}
    batch1 = (fig.get("latency") or {}).get("1", {})
    rows.append([role, fig.get("measured_as", ""),
                 units.size(fig["size_bytes"]),
                 units.size(fig["gzip_size_bytes"]),
                 units.duration_us(fig.get("latency_median_us")),
                 units.duration_us(batch1.get("p90_us")),
                 units.size(mem.get("increase_bytes")) or "not measured",
                 units.size(mem.get("over_runtime_bytes")),
                 fig.get("uri", "")])
  return _table(rows, ["model", "measured as", "size", "gzip size",
                       "median latency, batch 1", "p90 latency, batch 1",
                       "peak memory", "over a runtime-only child", "uri"]
                ) if rows else ""


def _comparisons(report: Mapping[str, Any]) -> str:
  rows = []
  for role, r in (report.get("ratios") or {}).items():
    for batch, comp in sorted((r.get("latency") or {}).items(),
                              key=lambda kv: int(kv[0])):
      rows.append([role, _ratio(r["size_ratio"]), _ratio(r["gzip_size_ratio"]),
                   batch, f"{_ratio(comp['ratio'])} ({comp['ratio_ci_low']:.3f}"
                   f"–{comp['ratio_ci_high']:.3f})",
                   "gated" if comp.get("gated") else "not gated"])
  return _table(rows, [
      "against", "size ratio (baseline / candidate)", "gzip size ratio",
      "batch", "latency ratio (95 % interval)", "latency gate"]) if rows else ""


def _sparse_inference(report: Mapping[str, Any]) -> List[str]:
  """A line per model with sparse-encoded weights: XNNPACK's path here."""
  lines = []
  for role in report_plots.roles(report):
    sparse = report[role].get("sparse_inference")
    if sparse:
      lines.append(
          f"<p>{_e(role)}: {sparse['sparse_tensors']} sparse-encoded weight "
          f"tensors ({sparse['sparse_1x1_kernels']} 1x1 convolution kernels"
          f", {sparse['densify_ops']} DENSIFY ops); {_e(sparse['note'])}."
          "</p>")
  return ["<h2>Sparse inference</h2>"] + lines if lines else []


def _plots(plots) -> str:
  return '<div class="plots">' + "".join(
      f"<figure>{svg}<figcaption>{_e(caption)}</figcaption></figure>"
      for caption, svg in plots) + "</div>"


def _per_class(report: Mapping[str, Any]) -> List[str]:
  view = report.get("per_class")
  if not view:
    return []
  parts = ["<h2>Per class</h2>"]
  if view.get("skipped"):
    return parts + [f"<p class='note'>No per-class view: "
                    f"{_e(view['skipped'])}.</p>"]
  changed = "; ".join(f"the candidate's class differs from the {r}'s on "
                      f"{v:.1%} of them" for r, v in view["changed"].items())
  parts.append(f"<p class='note'>{view['examples']} examples with label "
               f"{_e(view['label_key'])}" + (f"; {_e(changed)}" if changed
                                             else "") + ".</p>")
  return parts + [_plots(report_plots.per_class(report))]


def _task_view(report: Mapping[str, Any]) -> List[str]:
  view = report.get("task_view")
  if not view:
    return []
  title = {"binary": "Binary scores", "regression": "Regression errors"}[
      view["task"]]
  if view.get("skipped"):
    return [f"<h2>{title}</h2>", f"<p class='note'>{_e(view['skipped'])}.</p>"]
  note = f"{view['examples']} examples with label {_e(view['label_key'])}"
  if view.get("roc"):
    note += "; AUC " + ", ".join(
        f"{_e(r)} {v['auc']:.4f}" for r, v in view["roc"].items()
        if v["auc"] is not None)
  else:
    note += "; mean absolute error " + ", ".join(
        f"{_e(r)} {v['mean_absolute']:.4g}"
        for r, v in view["residuals"].items())
  return [f"<h2>{title}</h2>", f"<p class='note'>{note}.</p>",
          _plots(report_plots.task_view(report))]


def _layer_errors(report: Mapping[str, Any]) -> List[str]:
  layers = report.get("quantizer_layers")
  if not layers:
    return []
  parts = ["<h2>Per-layer quantization error (PostTrainingQuantizer)</h2>"]
  if layers.get("error"):
    return parts + [f"<p class='note'>{_e(layers['file'])} could not be "
                    f"read: {_e(layers['error'])}</p>"]
  kept = layers["kept_float"]
  parts.append("<p class='note'>Kept float: " + (_e(", ".join(
      report_plots.short_names(kept))) if kept else
      "none (every quantized tensor is int8)") + f". From {_e(layers['file'])}."
      "</p>")
  if "relative_output_error" in layers:
    before = layers.get("initial_relative_output_error")
    parts.append(
        "<p class='note'>Relative output error against the float model "
        "(‖quantized − float‖ / ‖float‖ on the debug examples): "
        + (f"{before:.4g} fully int8, " if before is not None else "")
        + f"{layers['relative_output_error']:.4g} as published.</p>")
  parts.append(_plots(report_plots.layer_errors(report)))
  rows = [[name, r["op_name"], f"{r['rmse_over_scale']:.3f}",
           f"{r['max_abs_error']:.4g}", "yes" if r["kept_float"] else "",
           r["reason"]] for name, r in zip(
               report_plots.short_names(layers["top"]), layers["top"])]
  return parts + [_table(rows, [
      "tensor", "op", "RMSE / scale", "max abs error", "kept float",
      "reason"])]


def _search(report: Mapping[str, Any]) -> List[str]:
  """The PostTrainingQuantizer's accuracy-budget search, step by step."""
  from tfx_compression.compression_evaluator import quantizer_search  # pylint: disable=g-import-not-at-top
  search = report.get("quantizer_search")
  if not search:
    return []
  parts = ["<h2>Accuracy-budget search (PostTrainingQuantizer)</h2>"]
  if search.get("error"):
    return parts + [f"<p class='note'>{_e(search['file'])} could not be "
                    f"read: {_e(search['error'])}</p>"]
  parts.append(
      f"<p class='{'note' if search['budget_met'] else 'NOT_BLESSED'}'>"
      f"Backend {_e(search['backend'])}, objective {_e(search['objective'])}"
      f", budget: drop ≤ {search['budget']:g} in {_e(search['metric_name'])}"
      f" (float model: {search['reference_metric']:.4g}). "
      f"{_e(search['reason'])}. From {_e(search['file'])}.</p>")
  parts.append(_plots(quantizer_search.plots(search)))
  rows = [[s["index"], s["name"], s["size_bytes"],
           "" if s["latency_us"] is None else f"{s['latency_us']:.1f}",
           "" if s["metric"] is None else f"{s['metric']:.4g}",
           s.get("error") or f"{s['drop']:+.4g}",
           "yes" if s["meets_budget"] else "no", s["float_units"],
           "kept" if s["index"] == search["chosen"]["index"] else ""]
          for s in search["steps"]]
  return parts + [_table(rows, [
      "step", "configuration", "bytes", "latency (µs, 1 thread)",
      search["metric_name"], "drop (or why it failed)", "meets budget",
      "float units", ""])]


def _uncertainty(report: Mapping[str, Any]) -> List[str]:
  """Each metric change with its paired interval, and the size warnings."""
  intervals = report.get("uncertainty") or []
  if not intervals:
    return []
  rows = [[i["metric"], i.get("slice_name", "Overall"), i["against"],
           f"{i['diff']:+.4f}",
           f"[{i['low']:+.4f}, {i['high']:+.4f}]", _number(i["allowed"]),
           i["examples"], "yes" if i["meaningful"] else "NO"]
          for i in intervals]
  parts = [f"<h3>How sure ({intervals[0]['confidence']:.0%} paired "
           f"bootstrap, {intervals[0]['resamples']} resamples)</h3>",
           _table(rows, ["metric", "slice", "against", "change", "interval",
                         "allowed change", "examples", "meaningful"])]
  parts += [f"<p class='NOT_BLESSED'>Warning: {_e(w)}.</p>"
            for w in report.get("warnings") or []]
  return parts


def render(report: Mapping[str, Any]) -> str:
  """Returns the report as one self-contained HTML document."""
  verdict = report.get("verdict", properties.VERDICT_NOT_BLESSED)
  variant = report.get("variant")
  title = f"{variant}: {TITLE}" if variant else TITLE
  parts = [
      "<!DOCTYPE html><html><head><meta charset='utf-8'>",
      f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>",
      f"<h1>{_e(title)}</h1>",
      f'<p class="verdict {_e(verdict)}">{_e(verdict)}</p>',
  ]
  if report.get("error"):
    parts.append(f"<p class='NOT_BLESSED'>Evaluation error: "
                 f"{_e(report['error'])}</p>")
  if report.get("not_gated"):
    parts.append("<p class='note'>Not gated (no budget set): "
                 f"{_e(', '.join(report['not_gated']))}.</p>")
  parts += ["<h2>Checks</h2>", _checks(report)] + _uncertainty(report)
  parts += ["<h2>Figures</h2>", _figures(report), _comparisons(report)]
  parts += _sparse_inference(report)
  plots = report_plots.quality_and_cost(report) + report_plots.sparsity(report)
  if plots:
    parts += ["<h2>Quality, size and latency</h2>", _plots(plots)]
  parts += _per_class(report) + _task_view(report) + _layer_errors(report)
  parts += _search(report)
  parts.append("</body></html>")
  return "\n".join(parts)
