"""Screenshots a CompressionEvaluator report.html with headless Chromium.

Proves the self-contained page renders (plots included) without a server or
network. Needs Debian's `chromium` package; CI does not depend on it.

Usage: python benchmarks/render_report.py <evaluation uri or report.html> [out.png]
"""

import os
import shutil
import subprocess
import sys

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu",
         "--window-size=1200,2000", "--disable-background-networking",
         "--no-first-run"]


def screenshot(html_path: str, png_path: str, timeout_s: float = 120.0) -> str:
  """Renders `html_path` to `png_path`; returns `png_path`.

  Raises:
    FileNotFoundError: chromium is not installed or the page does not exist.
    RuntimeError: chromium wrote no screenshot.
  """
  browser = shutil.which("chromium") or shutil.which("chromium-browser")
  if browser is None:
    raise FileNotFoundError("chromium is not installed (apt-get install chromium)")
  if not os.path.isfile(html_path):
    raise FileNotFoundError(html_path)
  if os.path.exists(png_path):
    os.remove(png_path)
  proc = subprocess.run(
      [browser, *FLAGS, f"--screenshot={os.path.abspath(png_path)}",
       "file://" + os.path.abspath(html_path)],
      capture_output=True, text=True, timeout=timeout_s, check=False)
  if not os.path.isfile(png_path):
    raise RuntimeError(f"chromium wrote no screenshot (exit {proc.returncode}):"
                       f" {proc.stderr[-1000:]}")
  return png_path


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
