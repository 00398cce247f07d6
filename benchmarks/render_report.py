"""Screenshots a CompressionEvaluator report.html with headless Chromium.

Proves the self-contained page renders (plots included) without a server or
network. Needs Debian's `chromium` package; the report tests use these
functions and skip where it is missing.

Usage: python benchmarks/render_report.py <evaluation uri or report.html> [out.png]
"""

import os
import shutil
import subprocess
import sys
from typing import List

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-extensions",
         "--no-first-run"]


def browser() -> List[str]:
  """The headless Chromium command line (without the page).

  Raises:
    FileNotFoundError: chromium is not installed.
  """
  path = shutil.which("chromium") or shutil.which("chromium-browser")
  if path is None:
    raise FileNotFoundError(
        "chromium is not installed (Debian: apt-get install chromium)")
  return [path, *FLAGS]


def _uri(html_path: str) -> str:
  if not os.path.isfile(html_path):
    raise FileNotFoundError(html_path)
  return "file://" + os.path.abspath(html_path)


def screenshot(html_path: str, png_path: str, timeout_s: float = 120.0,
               window_size: str = "1200,2000") -> str:
  """Renders `html_path` to `png_path`; returns `png_path`.

  Raises:
    FileNotFoundError: chromium is not installed or the page does not exist.
    RuntimeError: chromium wrote no screenshot.
  """
  command = browser() + [f"--window-size={window_size}",
                         f"--screenshot={os.path.abspath(png_path)}",
                         _uri(html_path)]
  if os.path.exists(png_path):
    os.remove(png_path)
  proc = subprocess.run(command, capture_output=True, text=True,
                        timeout=timeout_s, check=False)
  if not os.path.isfile(png_path):
    raise RuntimeError(f"chromium wrote no screenshot (exit {proc.returncode}):"
                       f" {proc.stderr[-1000:]}")
  return png_path


def dump_dom(html_path: str, timeout_s: float = 120.0) -> str:
  """The DOM Chromium builds from `html_path`, serialized.

  Raises:
    FileNotFoundError: chromium is not installed or the page does not exist.
    RuntimeError: chromium failed.
  """
  proc = subprocess.run(browser() + ["--dump-dom", _uri(html_path)],
                        capture_output=True, text=True, timeout=timeout_s,
                        check=False)
  if proc.returncode or "<html" not in proc.stdout:
    raise RuntimeError(f"chromium failed (exit {proc.returncode}): "
                       f"{proc.stderr[-1000:]}")
  return proc.stdout


def main(argv) -> None:
  if len(argv) < 2:
    sys.exit(__doc__)
  path = argv[1]
  if os.path.isdir(path):
    path = os.path.join(path, "report.html")
  out = argv[2] if len(argv) > 2 else os.path.splitext(path)[0] + ".png"
  print(screenshot(path, out))


if __name__ == "__main__":
  main(sys.argv)
