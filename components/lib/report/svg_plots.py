"""Plots as inline SVG for self-contained HTML pages, drawn by matplotlib.

matplotlib's SVG backend writes text as <text> elements (`svg.fonttype`
'none'), so titles, axis labels and tick labels stay searchable and
selectable in the page, and nothing is fetched when it opens. Every plot
has a title and labelled axes whose label names the unit.

matplotlib is imported on first use: pipelines that only build components
never load it.
"""

import dataclasses
import functools
import html
import io
from typing import Mapping, Optional, Sequence

# Roles and states share one palette across reports.
COLORS = {"baseline": "#8c8c8c", "blessed_baseline": "#5b5b5b",
          "candidate": "#1f77b4", "selected": "#d62728",
          "not blessed": "#bbbbbb", "kept float": "#ff7f0e"}
_OTHER_COLORS = ("#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf",
                 "#bcbd22", "#ff7f0e")
_WIDTH_IN, _HEIGHT_IN = 5.6, 3.4
_RC = {"svg.fonttype": "none", "font.size": 9, "axes.titlesize": 10,
       "axes.spines.top": False, "axes.spines.right": False}


@dataclasses.dataclass(frozen=True)
class Point:
  """One labelled point of a scatter plot.

  Attributes:
    name: Label written beside the point.
    x, y: Coordinates, in the axes' units.
    color_key: Key of COLORS (or any name: a colour is assigned).
    filled: False draws a hollow marker (e.g. a refused candidate).
  """

  name: str
  x: float
  y: float
  color_key: str = "candidate"
  filled: bool = True


def _or_note(draw):
  """`draw`, or a note naming the extra when matplotlib is not installed
  (a report without plots is still a report)."""

  @functools.wraps(draw)
  def drawn(*args, **kwargs) -> str:
    from tfx_compression.errors import MissingExtraError  # pylint: disable=g-import-not-at-top
    try:
      return draw(*args, **kwargs)
    except MissingExtraError as e:
      return f"<p class='note'>No plot: {html.escape(str(e))}</p>"

  return drawn


def color(key: str, index: int = 0) -> str:
  return COLORS.get(key, _OTHER_COLORS[index % len(_OTHER_COLORS)])


def figure(width_in: float = _WIDTH_IN, height_in: float = _HEIGHT_IN):
  """A matplotlib Figure (not registered with pyplot) for the draw_* helpers.

  Raises:
    MissingExtraError: matplotlib is not installed (tfx-compression[plots]).
  """
  from tfx_compression import extras  # pylint: disable=g-import-not-at-top
  Figure = extras.require("matplotlib.figure", extras.PLOTS,  # pylint: disable=invalid-name
                          "Report plots", "matplotlib").Figure
  return Figure(figsize=(width_in, height_in), layout="constrained")


def to_svg(fig) -> str:
  """The figure as an <svg> element (no XML prolog, no external reference)."""
  import matplotlib  # pylint: disable=g-import-not-at-top
  buffer = io.StringIO()
  with matplotlib.rc_context(_RC):
    fig.savefig(buffer, format="svg", metadata={"Date": None})
  text = buffer.getvalue()
  return text[text.index("<svg"):]


def _labels(ax, title: str, x_label: str, y_label: str) -> None:
  ax.set_title(title)
  ax.set_xlabel(x_label)
  ax.set_ylabel(y_label)


def draw_scatter(ax, points: Sequence[Point], title: str, x_label: str,
                 y_label: str, frontier: Sequence[str] = ()) -> None:
  """Draws labelled points; `frontier` names are joined by a dashed line.

  Args:
    ax: A matplotlib Axes.
    points: The points.
    title, x_label, y_label: Texts (axis labels name their unit).
    frontier: Names of the points on a Pareto frontier, drawn in x order.
  """
  for i, p in enumerate(points):
    c = color(p.color_key, i)
    ax.scatter([p.x], [p.y], s=60, color=c if p.filled else "none",
               edgecolors=c, linewidths=1.5, zorder=3)
    ax.annotate(p.name, (p.x, p.y), textcoords="offset points",
                xytext=(6, 4 + 9 * (i % 2)), fontsize=8)
  on_front = sorted((p for p in points if p.name in set(frontier)),
                    key=lambda p: p.x)
  if on_front:
    ax.plot([p.x for p in on_front], [p.y for p in on_front], "--",
            color="#d62728", linewidth=1, zorder=2, label="Pareto frontier")
    ax.legend(loc="lower right", fontsize=8)
  ax.margins(0.15)
  ax.grid(alpha=0.3)
  _labels(ax, title, x_label, y_label)


@_or_note
def scatter(points: Sequence[Point], title: str, x_label: str, y_label: str,
            frontier: Sequence[str] = ()) -> str:
  """`draw_scatter` on a figure of its own, as SVG."""
  fig = figure()
  draw_scatter(fig.subplots(), points, title, x_label, y_label, frontier)
  return to_svg(fig)


def draw_bars(ax, categories: Sequence[str],
              series: Mapping[str, Sequence[Optional[float]]], title: str,
              x_label: str, y_label: str, horizontal: bool = False,
              bar_colors: Optional[Sequence[str]] = None,
              y_max: Optional[float] = None,
              legend: Optional[Mapping[str, str]] = None) -> None:
  """Grouped bars, one group per category and one bar per series.

  Args:
    ax: A matplotlib Axes.
    categories: Group labels (tick labels of the category axis).
    series: Series name -> one value per category (None: no bar).
    title, x_label, y_label: Texts; with `horizontal` the x axis holds the
      values.
    horizontal: Bars grow to the right, categories read top to bottom.
    bar_colors: One colour per category (a single series only), overriding
      the series colour.
    y_max: Upper limit of the value axis (e.g. 1.0 for fractions).
    legend: Label -> colour entries explaining `bar_colors`.
  """
  n = max(1, len(series))
  width = 0.8 / n
  for j, (name, values) in enumerate(series.items()):
    positions = [i - 0.4 + width * (j + 0.5) for i in range(len(categories))]
    kept = [(p, v) for p, v in zip(positions, values) if v is not None]
    colors = (bar_colors if bar_colors is not None and n == 1
              else color(name, j))
    if not kept:
      continue
    if horizontal:
      ax.barh([p for p, _ in kept], [v for _, v in kept], height=width,
              color=colors, label=name)
    else:
      ax.bar([p for p, _ in kept], [v for _, v in kept], width=width,
             color=colors, label=name)
  ticks = list(range(len(categories)))
  if horizontal:
    ax.set_yticks(ticks, list(categories))
    ax.invert_yaxis()
    if y_max is not None:
      ax.set_xlim(0, y_max)
    ax.grid(axis="x", alpha=0.3)
  else:
    rotate = len(categories) > 6 or max(map(len, categories), default=0) > 10
    ax.set_xticks(ticks, list(categories), rotation=40 if rotate else 0,
                  ha="right" if rotate else "center")
    if y_max is not None:
      ax.set_ylim(0, y_max)
    ax.grid(axis="y", alpha=0.3)
  if legend:
    from matplotlib.patches import Patch  # pylint: disable=g-import-not-at-top
    ax.legend(handles=[Patch(color=c, label=k) for k, c in legend.items()],
              fontsize=8)
  elif len(series) > 1:
    ax.legend(fontsize=8)
  _labels(ax, title, x_label, y_label)


@_or_note
def bars(categories: Sequence[str],
         series: Mapping[str, Sequence[Optional[float]]], title: str,
         x_label: str, y_label: str, horizontal: bool = False,
         bar_colors: Optional[Sequence[str]] = None,
         y_max: Optional[float] = None,
         legend: Optional[Mapping[str, str]] = None) -> str:
  """`draw_bars` on a figure of its own (wider with many categories), as SVG."""
  fig = figure(max(_WIDTH_IN, 0.45 * len(categories) * max(1, len(series)))
                if not horizontal else _WIDTH_IN + 1.5,
                _HEIGHT_IN if not horizontal
                else max(_HEIGHT_IN, 0.3 * len(categories) + 1.2))
  draw_bars(fig.subplots(), categories, series, title, x_label, y_label,
            horizontal, bar_colors, y_max, legend)
  return to_svg(fig)


@_or_note
def lines(series: Mapping[str, Sequence[Sequence[float]]], title: str,
          x_label: str, y_label: str, diagonal: bool = False,
          markers: bool = False) -> str:
  """One line per series {name: (xs, ys)}, coloured by name, as SVG.

  `diagonal` draws y = x dotted (a chance ROC, perfect calibration, a
  perfect prediction); `markers` draws the points without lines.
  """
  fig = figure()
  ax = fig.subplots()
  low = min([min(min(xs), min(ys)) for xs, ys in series.values()] + [0.0])
  high = max([max(max(xs), max(ys)) for xs, ys in series.values()] + [1.0])
  if diagonal:
    ax.plot([low, high], [low, high], ":", color="#999999", linewidth=1)
  for i, (name, (xs, ys)) in enumerate(series.items()):
    if markers:
      ax.scatter(xs, ys, s=8, alpha=0.6, color=color(name, i), label=name)
    else:
      ax.plot(xs, ys, color=color(name, i), linewidth=1.5, label=name)
  ax.grid(alpha=0.3)
  ax.legend(fontsize=8)
  _labels(ax, title, x_label, y_label)
  return to_svg(fig)


@_or_note
def heatmap(matrix: Sequence[Sequence[float]], row_labels: Sequence[str],
            col_labels: Sequence[str], title: str, x_label: str, y_label: str,
            value_label: str, diverging: bool = False) -> str:
  """A matrix as coloured cells with their values written in, as SVG.

  Args:
    matrix: Rows of values.
    row_labels, col_labels: Tick labels.
    title, x_label, y_label: Texts.
    value_label: The colour bar's label (what a cell counts, with its unit).
    diverging: Centre the colours on 0 (red negative, blue positive), for
      differences.
  """
  import numpy as np  # pylint: disable=g-import-not-at-top
  values = np.asarray(matrix, dtype=float)
  size = max(3.2, 0.32 * len(col_labels) + 1.8)
  fig = figure(size + 0.9, size)
  ax = fig.subplots()
  # Vector cells (pcolormesh), not imshow's embedded PNG.
  if diverging:
    limit = max(1.0, float(np.abs(values).max()) if values.size else 1.0)
    mesh = ax.pcolormesh(values, cmap="RdBu", vmin=-limit, vmax=limit)
  else:
    mesh = ax.pcolormesh(values, cmap="Blues", vmin=0)
  fig.colorbar(mesh, ax=ax, label=value_label, shrink=0.8)
  ax.set_xticks([i + 0.5 for i in range(len(col_labels))], list(col_labels))
  ax.set_yticks([i + 0.5 for i in range(len(row_labels))], list(row_labels))
  ax.invert_yaxis()
  ax.set_aspect("equal")
  if len(col_labels) <= 15:
    top = float(np.abs(values).max()) if values.size else 0.0
    for (r, c), v in np.ndenumerate(values):
      if v:
        ax.text(c + 0.5, r + 0.5, f"{v:g}", ha="center", va="center",
                fontsize=7, color="white" if abs(v) > 0.6 * top else "black")
  ax.spines[:].set_visible(False)
  _labels(ax, title, x_label, y_label)
  return to_svg(fig)
