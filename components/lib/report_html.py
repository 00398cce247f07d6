"""A CompressionEvaluator report as self-contained HTML with inline SVG plots.

No script, stylesheet, font or image is fetched: the page opens from disk.
"""

import html
from typing import Any, Dict, List, Mapping, Sequence, Tuple

COLORS = {"baseline": "#8c8c8c", "candidate": "#1f77b4"}
_W, _H, _PAD = 520, 260, 48


def _e(value: Any) -> str:
  return html.escape(str(value))


def bar_chart(title: str, categories: Sequence[str],
              series: Mapping[str, Sequence[float]], unit: str = "",
              width: int = _W, top: float = None) -> str:
  """Grouped vertical bars as an <svg> element (one group per category)."""
  values = [v for vs in series.values() for v in vs if v is not None]
  top = top or max(values + [1e-12]) * 1.15
  plot_w, plot_h = width - 2 * _PAD, _H - 2 * _PAD
  group = plot_w / max(1, len(categories))
  bar = group * 0.8 / max(1, len(series))
  parts = [f'<svg class="plot" '
           f'width="{width}" height="{_H}" role="img">',
           f'<title>{_e(title)}</title>',
           f'<text x="{width / 2}" y="18" text-anchor="middle" '
           f'font-weight="bold">{_e(title)}</text>',
           f'<line x1="{_PAD}" y1="{_H - _PAD}" x2="{width - _PAD}" '
           f'y2="{_H - _PAD}" stroke="#333"/>']
  for i, cat in enumerate(categories):
    x0 = _PAD + i * group + group * 0.1
    for j, (name, vs) in enumerate(series.items()):
      v = vs[i]
      if v is None:
        continue
      h = plot_h * v / top
      x, y = x0 + j * bar, _H - _PAD - h
      color = COLORS.get(name, "#ff7f0e")
      parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar * 0.95:.1f}" '
                   f'height="{h:.1f}" fill="{color}"><title>{_e(name)} '
                   f'{_e(cat)}: {v:.4g}{_e(unit)}</title></rect>')
      if len(categories) <= 4:
        parts.append(f'<text x="{x + bar / 2:.1f}" y="{y - 3:.1f}" '
                     f'font-size="10" text-anchor="middle">{v:.4g}</text>')
    parts.append(f'<text x="{x0 + group * 0.4:.1f}" y="{_H - _PAD + 14}" '
                 f'font-size="10" text-anchor="middle">{_e(cat)}</text>')
  for j, name in enumerate(series):
    parts.append(f'<rect x="{_PAD + j * 110}" y="{_H - 18}" width="10" '
                 f'height="10" fill="{COLORS.get(name, "#ff7f0e")}"/>'
                 f'<text x="{_PAD + j * 110 + 14}" y="{_H - 9}" '
                 f'font-size="11">{_e(name)}</text>')
  parts.append(f'<text x="6" y="{_PAD - 6}" font-size="10">{_e(unit)}</text>')
  parts.append("</svg>")
  return "".join(parts)


def scatter(title: str, points: Sequence[Tuple[str, float, float, float]],
            x_label: str, y_label: str) -> str:
  """Points (name, x, y, size) as an <svg>; marker area grows with `size`."""
  xs = [p[1] for p in points] or [1.0]
  ys = [p[2] for p in points] or [1.0]
  sizes = [p[3] for p in points] or [1.0]
  x_lo, x_hi = 0.0, max(xs) * 1.2
  y_lo, y_hi = min(ys) - 0.05, min(1.0, max(ys)) + 0.03
  y_hi = max(y_hi, y_lo + 1e-6)
  px = lambda x: _PAD + (_W - 2 * _PAD) * (x - x_lo) / (x_hi - x_lo or 1)
  py = lambda y: _H - _PAD - (_H - 2 * _PAD) * (y - y_lo) / (y_hi - y_lo)
  parts = [f'<svg class="plot" '
           f'width="{_W}" height="{_H}" role="img"><title>{_e(title)}</title>',
           f'<text x="{_W / 2}" y="18" text-anchor="middle" '
           f'font-weight="bold">{_e(title)}</text>',
           f'<rect x="{_PAD}" y="{_PAD}" width="{_W - 2 * _PAD}" '
           f'height="{_H - 2 * _PAD}" fill="none" stroke="#333"/>',
           f'<text x="{_W / 2}" y="{_H - 10}" text-anchor="middle" '
           f'font-size="11">{_e(x_label)}</text>',
           f'<text x="12" y="{_H / 2}" font-size="11" transform="rotate(-90 12 '
           f'{_H / 2})" text-anchor="middle">{_e(y_label)}</text>',
           f'<text x="{_PAD}" y="{_H - _PAD + 14}" font-size="10">{x_lo:g}'
           f'</text><text x="{_W - _PAD}" y="{_H - _PAD + 14}" font-size="10" '
           f'text-anchor="end">{x_hi:.4g}</text>',
           f'<text x="{_PAD - 4}" y="{_H - _PAD}" font-size="10" '
           f'text-anchor="end">{y_lo:.3f}</text><text x="{_PAD - 4}" '
           f'y="{_PAD + 8}" font-size="10" text-anchor="end">{y_hi:.3f}</text>']
  for i, (name, x, y, size) in enumerate(points):
    r = 6 + 14 * (size / max(sizes)) ** 0.5
    dy = 16 * i - 4  # Labels of coinciding points do not overlap.
    parts.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="{r:.1f}" '
                 f'fill="{COLORS.get(name, "#ff7f0e")}" fill-opacity="0.6">'
                 f'<title>{_e(name)}</title></circle><text x="{px(x) + r + 3:.1f}"'
                 f' y="{py(y) + dy:.1f}" font-size="11">{_e(name)} '
                 f'({size:.1f} us)</text>')
  parts.append("</svg>")
  return "".join(parts)


def _table(rows: List[List[Any]], header: List[str], classes=None) -> str:
  head = "".join(f"<th>{_e(h)}</th>" for h in header)
  body = "".join(
      f'<tr class="{classes[i] if classes else ""}">' +
      "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>"
      for i, row in enumerate(rows))
  return f"<table><tr>{head}</tr>{body}</table>"


def _plots(report: Mapping[str, Any]) -> List[str]:
  cand, base = report.get("candidate"), report.get("baseline")
  if not cand or not base:
    return []
  plots = []
  metrics = report.get("metrics", [])
  first = metrics[0]["metric"] if metrics else None
  overall = {r["slice_name"]: r for r in metrics if r["metric"] == first}
  if "Overall" in overall:
    o = overall["Overall"]
    plots.append(scatter(
        f"{first} vs size; marker area: latency",
        [("baseline", base["size_bytes"] / 1024, o["baseline"],
          base["latency_median_us"]),
         ("candidate", cand["size_bytes"] / 1024, o["candidate"],
          cand["latency_median_us"])], "size (KB)", first))
  slices = [s for s in overall if s != "Overall"]
  if slices:
    plots.append(bar_chart(f"{first} per slice", slices, {
        "baseline": [overall[s]["baseline"] for s in slices],
        "candidate": [overall[s]["candidate"] for s in slices]},
                           width=max(_W, 52 * len(slices))))
  sizes = ["size_bytes", "gzip_size_bytes"]
  plots.append(bar_chart("Size (KB)", ["raw", "gzip"], {
      "baseline": [base[k] / 1024 for k in sizes],
      "candidate": [cand[k] / 1024 for k in sizes]}, " KB"))
  batches = sorted(cand["latency"], key=int)
  cats = [f"b{b} {stat}" for b in batches for stat in ("median", "p90")]
  plots.append(bar_chart("Latency per batch (us)", cats, {
      name: [fig["latency"][b][f"{stat}_us"] for b in batches
             for stat in ("median", "p90")]
      for name, fig in (("baseline", base), ("candidate", cand))}, " us"))
  if cand.get("weight_sparsity"):
    names = list(cand["weight_sparsity"])
    plots.append(bar_chart("Candidate weight sparsity per tensor",
                           [n.split(" ")[0].replace("FULLY_CONNECTED", "FC")
                            for n in names],
                           {"candidate": [cand["weight_sparsity"][n]
                                          for n in names]},
                           width=max(_W, 70 * len(names)), top=1.0))
  return plots


def _figures(report: Mapping[str, Any]) -> str:
  rows = []
  for role in ("baseline", "candidate"):
    fig = report.get(role)
    if not fig:
      continue
    mem = fig.get("memory") or {}
    rows.append([role, fig["measured_as"], fig["size_bytes"],
                 fig["gzip_size_bytes"],
                 f'{fig["latency_median_us"]:.1f}',
                 f'{fig["latency"]["1"]["p90_us"]:.1f}',
                 mem.get("increase_bytes", "not measured"),
                 mem.get("over_runtime_bytes", ""), fig["uri"]])
  return _table(rows, ["model", "measured as", "size (B)", "gzip (B)",
                       "median b1 (us)", "p90 b1 (us)", "peak memory (B)",
                       "over runtime-only child (B)", "uri"]) if rows else ""


def render(report: Mapping[str, Any]) -> str:
  """Returns the report as one self-contained HTML document."""
  verdict = report.get("verdict", "NOT_BLESSED")
  checks = report.get("checks", [])
  fmt = lambda v: "" if v is None else f"{v:.4g}"
  check_rows = [[c["name"], "pass" if c["passed"] else "FAIL", fmt(c["value"]),
                 fmt(c["threshold"]), c["reason"]] for c in checks]
  classes = ["pass" if c["passed"] else "fail" for c in checks]
  error = report.get("error")
  parts = [
      "<!DOCTYPE html><html><head><meta charset='utf-8'>",
      "<title>CompressionEvaluator report</title><style>",
      "body{font-family:sans-serif;margin:24px;color:#222}",
      "table{border-collapse:collapse;margin:8px 0 20px}",
      "td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px}",
      ".pass td:nth-child(2){color:#2a7d2a}.fail td:nth-child(2){color:#c00;"
      "font-weight:bold}.verdict{font-size:22px;font-weight:bold}",
      ".BLESSED{color:#2a7d2a}.NOT_BLESSED{color:#c00}",
      ".plot{margin:8px;border:1px solid #eee}",
      ".plots{display:flex;flex-wrap:wrap}</style></head><body>",
      "<h1>CompressionEvaluator report</h1>",
      f'<p class="verdict {_e(verdict)}">{_e(verdict)}</p>',
  ]
  if error:
    parts.append(f"<p class='NOT_BLESSED'>Evaluation error: {_e(error)}</p>")
  parts += ["<h2>Checks</h2>",
            _table(check_rows, ["check", "result", "value", "threshold",
                                "reason"], classes),
            "<h2>Figures</h2>", _figures(report), "<h2>Plots</h2>"]
  parts.append('<div class="plots">' + "".join(_plots(report)) + "</div>")
  parts.append("</body></html>")
  return "\n".join(parts)
