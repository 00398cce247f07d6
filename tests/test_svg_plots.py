"""Library tests: matplotlib plots as inline SVG with text kept as text."""

import os
import re
import sys

from tfx_compression.lib.report import svg_plots

BENCHMARKS = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "benchmarks")


def _texts(svg: str):
  return set(re.findall(r"<text[^>]*>([^<]+)</text>", svg))


def _self_contained(svg: str) -> bool:
  references = re.findall(r"(?:href|src)\s*=\s*[\"']([^\"']*)", svg)
  return (svg.startswith("<svg") and "<?xml" not in svg and
          all(r.startswith(("#", "data:")) for r in references))


def test_scatter_keeps_title_axes_and_point_names_as_text():
  svg = svg_plots.scatter(
      [svg_plots.Point("float", 57.7, 0.969, "baseline"),
       svg_plots.Point("int8", 19.9, 0.968),
       svg_plots.Point("refused", 10.0, 0.5, "not blessed", filled=False)],
      "accuracy vs size", "size (KB)", "accuracy", frontier=["int8", "float"])
  assert _self_contained(svg)
  assert {"accuracy vs size", "size (KB)", "accuracy", "float", "int8",
          "refused", "Pareto frontier"} <= _texts(svg)


def test_bars_label_categories_series_and_colour_legend():
  svg = svg_plots.bars(["a", "b"], {"candidate": [1.0, None],
                                    "baseline": [2.0, 3.0]},
                       "sizes", "file", "size (KB)")
  assert {"sizes", "file", "size (KB)", "a", "b", "candidate",
          "baseline"} <= _texts(svg)
  marked = svg_plots.bars(["t1", "t2"], {"error": [2.0, 0.3]}, "errors",
                          "RMSE", "tensor", horizontal=True,
                          bar_colors=["#ff7f0e", "#1f77b4"],
                          legend={"kept float": "#ff7f0e"})
  assert {"errors", "RMSE", "tensor", "t1", "t2", "kept float"} <= (
      _texts(marked))


def test_heatmap_writes_cell_values_and_colour_bar_label():
  svg = svg_plots.heatmap([[3, 0], [1, 2]], ["0", "1"], ["0", "1"],
                          "confusion", "predicted class", "label", "examples")
  assert _self_contained(svg)
  assert {"confusion", "predicted class", "label", "examples", "3", "1",
          "2"} <= _texts(svg)


def test_benchmark_svg_draws_accuracy_and_latency_panels():
  sys.path.insert(0, BENCHMARKS)
  try:
    import benchmark_report  # pylint: disable=g-import-not-at-top
  finally:
    sys.path.remove(BENCHMARKS)
  row = lambda gzip, acc, us: {"gzip_bytes": gzip, "accuracy": acc,
                               "latency": {"1": {"median_us": us},
                                           "2": {"median_us": us * 0.7}}}
  svg = benchmark_report.svg({
      "settings": {"threads": [1, 2]},
      "variants": {"float TFLite": row(300_000, 0.97, 1500.0),
                   "PTQ int8": row(80_000, 0.968, 900.0)}})
  assert _self_contained(svg)
  assert {"Accuracy vs gzip size", "gzip size (KB)", "eval accuracy",
          "Median latency, batch 1", "latency (ms)", "float TFLite",
          "PTQ int8", "1 thread", "2 threads"} <= _texts(svg)
