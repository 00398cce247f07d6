"""The plots of the CompressionEvaluator's report, as inline SVG (matplotlib).

Each function takes the evaluator's report (report.json as a dict) and
returns a list of (caption, <svg>) pairs, empty when the report lacks what
the plot shows. Every plot has a title and labelled axes naming the unit;
sizes are drawn in KB or MB and latencies in µs or ms.
"""

from typing import Any, Dict, List, Mapping, Tuple

from tfx_compression.lib.report import svg_plots
from tfx_compression.lib.report import units

Plot = Tuple[str, str]  # (caption, <svg> element)
CANDIDATE = "candidate"


def roles(report: Mapping[str, Any]) -> List[str]:
  """The measured sides, candidate first."""
  return [r for r in [CANDIDATE] + list(report.get("baselines") or
                                        ["baseline"]) if report.get(r)]


def _first_metric(report) -> Tuple[str, Dict[str, Dict[str, float]]]:
  """The first metric's name and {slice: {role: value}} of its comparisons."""
  rows = [m for m in report.get("metrics") or []
          if m.get("kind", "change") == "change"]
  if not rows:
    return "", {}
  metric = rows[0]["metric"]
  by_slice: Dict[str, Dict[str, float]] = {}
  for m in rows:
    if m["metric"] != metric:
      continue
    values = by_slice.setdefault(m["slice_name"], {})
    if m.get("candidate") is not None:
      values[CANDIDATE] = m["candidate"]
    if m.get("baseline") is not None:
      values[m.get("against", "baseline")] = m["baseline"]
  return metric, by_slice


def quality_and_cost(report: Mapping[str, Any]) -> List[Plot]:
  """Metric vs size, metric per slice, sizes, latency per batch size."""
  sides = roles(report)
  if CANDIDATE not in sides or len(sides) < 2:
    return []
  plots = []
  metric, by_slice = _first_metric(report)
  overall = by_slice.get("Overall", {})
  div, unit = units.size_unit(max(report[r]["size_bytes"] for r in sides))
  if overall:
    plots.append(("Overall metric against file size, each model a point.",
                  svg_plots.scatter(
                      [svg_plots.Point(r, report[r]["size_bytes"] / div,
                                       overall[r], r)
                       for r in sides if r in overall],
                      f"{metric} vs size (Overall)", f"TFLite file size ({unit})",
                      metric)))
  slices = [s for s in by_slice if s != "Overall"]
  if slices:
    plots.append((f"{metric} on each slice.", svg_plots.bars(
        slices, {r: [by_slice[s].get(r) for s in slices] for r in sides},
        f"{metric} per slice", "slice", metric)))
  keys = ("size_bytes", "gzip_size_bytes")
  plots.append(("File size as deployed and after gzip (sparse weights "
                "shrink only when compressed).", svg_plots.bars(
                    ["TFLite file", "gzip of the file"],
                    {r: [report[r][k] / div for k in keys] for r in sides},
                    "Model size", "form of the model file", f"size ({unit})")))
  plots += _latency(report, sides)
  return plots


def _latency(report, sides) -> List[Plot]:
  """One plot per measured batch size: median and p90 of each side."""
  plots = []
  measured = report[CANDIDATE].get("latency") or {}
  for batch in sorted(measured, key=int):
    figures = {r: (report[r].get("latency") or {}).get(batch, {})
               for r in sides}
    stats = [("median", "median_us"), ("p90", "p90_us")]
    top = max([f.get(k) or 0 for f in figures.values() for _, k in stats])
    div, unit = units.duration_unit(top)
    gated = measured[batch].get("gated", batch == "1")
    threads = measured[batch].get("num_threads")
    plots.append((
        f"Time of one interpreter call on a batch of {batch}"
        + (f" at {threads} thread(s)" if threads else "") + "; "
        + ("gated by the latency budgets." if gated else
           "measured only, not gated."), svg_plots.bars(
               [name for name, _ in stats],
               {r: [None if f.get(k) is None else f[k] / div
                    for _, k in stats] for r, f in figures.items()},
               f"Latency at batch {batch}"
               + ("" if gated else " (not gated)"), "statistic over runs",
               f"latency ({unit})")))
  return plots


def sparsity(report: Mapping[str, Any]) -> List[Plot]:
  """The candidate's fraction of zero weights per weight tensor."""
  values = (report.get(CANDIDATE) or {}).get("weight_sparsity") or {}
  if not values:
    return []
  names = list(values)
  return [("Fraction of exact zeros in each of the candidate's weight "
           "tensors.", svg_plots.bars(
               [n.split(" ")[0][:40] for n in names],
               {CANDIDATE: [values[n] for n in names]},
               "Candidate weight sparsity per tensor",
               "fraction of zero weights", "weight tensor", horizontal=True,
               y_max=1.0))]


def per_class(report: Mapping[str, Any]) -> List[Plot]:
  """Confusion matrix, its change from the baseline, per-class agreement."""
  view = report.get("per_class") or {}
  if not view.get("classes"):
    return []
  classes = [str(c) for c in view["classes"]]
  label = view["label_key"]
  sides = [r for r in [CANDIDATE] + list(view["disagreement"])
           if r in view["confusion"]]
  plots = [(f"Rows: the label {label!r}; columns: the candidate's predicted "
            "class; cells: examples.", svg_plots.heatmap(
                view["confusion"][CANDIDATE], classes, classes,
                "Candidate confusion matrix", "predicted class",
                f"label ({label})", "examples"))]
  for role in sides[1:]:
    diff = [[c - b for c, b in zip(crow, brow)] for crow, brow in
            zip(view["confusion"][CANDIDATE], view["confusion"][role])]
    plots.append((f"Candidate minus {role} confusion counts: blue where the "
                  "candidate predicts a cell more often, red less often.",
                  svg_plots.heatmap(
                      diff, classes, classes,
                      f"Confusion change vs {role}", "predicted class",
                      f"label ({label})", "examples (candidate − "
                      f"{role})", diverging=True)))
  plots.append(("Accuracy of each model on the examples of each class.",
                svg_plots.bars(classes, {r: view["accuracy"][r] for r in sides},
                               "Accuracy per class", f"class ({label})",
                               "accuracy (fraction)", y_max=1.05)))
  if view["disagreement"]:
    top = max([100 * v for vs in view["disagreement"].values() for v in vs
               if v is not None] + [0.0])
    plots.append((
        "Share of each class's examples on which the candidate predicts "
        "another class than the baseline.", svg_plots.bars(
            classes, {r: [None if v is None else 100 * v for v in vs]
                      for r, vs in view["disagreement"].items()},
            "Candidate-vs-baseline disagreement per class", f"class ({label})",
            "predictions differing (%)", y_max=max(5.0, 1.2 * top))))
  return plots


def task_view(report: Mapping[str, Any]) -> List[Plot]:
  """ROC and calibration (binary); predicted vs actual, residuals (regression)."""
  view = report.get("task_view") or {}
  label = view.get("label_key")
  if view.get("roc"):
    return [
        ("Each model's true against false positive rate as the threshold on "
         "P(label = 1) moves from 1 to 0; the dotted diagonal is chance.",
         svg_plots.lines({r: (v["fpr"], v["tpr"])
                          for r, v in view["roc"].items()},
                         "ROC curve", "false positive rate (fraction)",
                         "true positive rate (fraction)", diagonal=True)),
        ("Observed share of positives per bin of predicted probability; the "
         "dotted diagonal is perfect calibration.",
         svg_plots.lines({r: (v["predicted"], v["observed"])
                          for r, v in view["calibration"].items()},
                         "Calibration", "mean predicted P(label = 1)",
                         "observed positive rate (fraction)", diagonal=True))]
  if view.get("residuals"):
    points = view["points"]
    roles_ = [r for r in points if r != "label"]
    quantiles = list(next(iter(view["residuals"].values()))["quantiles"])
    return [
        (f"Each model's prediction against the label {label!r} on up to "
         f"{len(points['label'])} eval examples; the dotted diagonal is a "
         "perfect prediction.",
         svg_plots.lines({r: (points["label"], points[r]) for r in roles_},
                         "Predicted vs actual", f"label ({label})",
                         "prediction", diagonal=True, markers=True)),
        ("Quantiles of prediction minus label: the error distribution of "
         "each model.",
         svg_plots.bars(quantiles, {
             r: [v["quantiles"][q] for q in quantiles]
             for r, v in view["residuals"].items()},
                        "Residual quantiles", "quantile",
                        f"prediction − label ({label})"))]
  return []


def layer_errors(report: Mapping[str, Any]) -> List[Plot]:
  """The PostTrainingQuantizer's worst tensors, kept-float ones marked."""
  layers = report.get("quantizer_layers") or {}
  top = layers.get("top") or []
  if not top:
    return []
  colors = [svg_plots.color("kept float") if r["kept_float"]
            else svg_plots.color(CANDIDATE) for r in top]
  return [(f"The {len(top)} quantized tensors with the largest int8 error "
           f"(of {layers['tensors']}), measured on the fully int8 model "
           "before any was kept float; ~0.29 steps is rounding alone.",
           svg_plots.bars(
               short_names(top),
               {"int8 error": [r["rmse_over_scale"] for r in top]},
               "Per-layer quantization error",
               "RMSE in quantization steps (RMSE / scale)", "quantized tensor",
               horizontal=True, bar_colors=colors,
               legend={"quantized int8": svg_plots.color(CANDIDATE),
                       "kept float": svg_plots.color("kept float")}))]


def short_names(rows: List[Mapping[str, Any]]) -> List[str]:
  """Readable tensor labels: 'OP: last two path parts' of each tensor name."""
  names = []
  for r in rows:
    parts = [p for p in r["tensor_name"].split(";")[0].split("/") if p]
    names.append(f"{r['op_name']}: {'/'.join(parts[-2:])[:40]}")
  return names
