"""A page as headless Chromium renders it: its DOM's plots and a screenshot.

Skips the calling test, saying why, where Chromium is not installed.
"""

import dataclasses
import html.parser
import os
import sys
from typing import List

import pytest


class _SvgTexts(html.parser.HTMLParser):
  """The text of each top-level <svg> element, and the number of figures."""

  def __init__(self):
    super().__init__()
    self.svgs: List[List[str]] = []
    self.figures, self._depth = 0, 0

  def handle_starttag(self, tag, attrs):
    if tag == "svg":
      self._depth += 1
      if self._depth == 1:
        self.svgs.append([])
    elif tag == "figure":
      self.figures += 1

  def handle_endtag(self, tag):
    if tag == "svg":
      self._depth -= 1

  def handle_data(self, data):
    if self._depth and data.strip():
      self.svgs[-1].append(data.strip())


@dataclasses.dataclass
class Rendered:
  dom: str  # The DOM Chromium built, serialized.
  svgs: List[List[str]]  # The texts of each plot, in page order.
  figures: int  # <figure> elements.
  screenshot: object  # RGB floats in [0, 1], height x width x 3.


def _render_report():
  """benchmarks/render_report.py, the one place that runs Chromium."""
  benchmarks = os.path.join(os.path.dirname(os.path.dirname(
      os.path.abspath(__file__))), "benchmarks")
  sys.path.insert(0, benchmarks)
  try:
    import render_report  # pylint: disable=g-import-not-at-top
  finally:
    sys.path.remove(benchmarks)
  return render_report


def render(page: str, workdir: str, width: int = 1400,
           height: int = 3000) -> Rendered:
  """Opens `page` (HTML text) from a file in Chromium: DOM and screenshot.

  Skips the calling test where Chromium is not installed.
  """
  from matplotlib import image  # pylint: disable=g-import-not-at-top
  render_report = _render_report()
  try:
    render_report.browser()
  except FileNotFoundError as e:
    pytest.skip(f"headless Chromium is missing, the page's rendering is not "
                f"checked: {e}")
  path = os.path.join(workdir, "page.html")
  with open(path, "w", encoding="utf-8") as f:
    f.write(page)
  dom = render_report.dump_dom(path)
  shot = render_report.screenshot(path, os.path.join(workdir, "shot.png"),
                                  window_size=f"{width},{height}")
  parsed = _SvgTexts()
  parsed.feed(dom)
  return Rendered(dom, parsed.svgs, parsed.figures,
                  image.imread(shot)[..., :3])
