"""A page as headless Chromium renders it: its DOM's plots and a screenshot.

Skips the calling test, saying why, where Chromium is not installed.
"""

import dataclasses
import html.parser
import os
import shutil
import subprocess
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


def chromium_command() -> List[str]:
  path = shutil.which("chromium") or shutil.which("chromium-browser")
  if path is None:
    pytest.skip("headless Chromium is not installed (Debian: apt-get install "
                "chromium); the page's rendering is not checked")
  return [path, "--headless", "--disable-gpu", "--no-sandbox",
          "--no-first-run", "--disable-extensions"]


def render(page: str, workdir: str, width: int = 1400,
           height: int = 3000) -> Rendered:
  """Opens `page` (HTML text) from a file in Chromium: DOM and screenshot."""
  from matplotlib import image  # pylint: disable=g-import-not-at-top
  chromium = chromium_command()
  path = os.path.join(workdir, "page.html")
  with open(path, "w", encoding="utf-8") as f:
    f.write(page)
  uri = "file://" + os.path.abspath(path)
  dom = subprocess.run(chromium + ["--dump-dom", uri], capture_output=True,
                       text=True, timeout=120, check=True).stdout
  shot = os.path.join(workdir, "screenshot.png")
  subprocess.run(chromium + [f"--screenshot={shot}",
                             f"--window-size={width},{height}", uri],
                 capture_output=True, timeout=120, check=True)
  parsed = _SvgTexts()
  parsed.feed(dom)
  return Rendered(dom, parsed.svgs, parsed.figures,
                  image.imread(shot)[..., :3])
