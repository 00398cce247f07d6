"""The layout #19 settled, kept: one shape per component, runners free of TFX."""

import ast
import glob
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMPONENTS = os.path.join(ROOT, "components")
COMPONENT_FILES = {"__init__.py", "component.py", "spec.py", "config.py",
                   "executor.py", "runner.py", "README.md"}
FOLDERS = sorted(
    d for d in os.listdir(COMPONENTS)
    if os.path.isfile(os.path.join(COMPONENTS, d, "component.py")))


def _imports(path):
  """Every module a file imports, at its top or inside functions."""
  for node in ast.walk(ast.parse(open(path).read())):
    if isinstance(node, ast.Import):
      yield from (a.name for a in node.names)
    elif isinstance(node, ast.ImportFrom):
      yield from ([f"{node.module}.{a.name}" for a in node.names]
                  if node.module else [])


def test_every_component_has_the_same_files():
  assert len(FOLDERS) == 10, FOLDERS
  for folder in FOLDERS:
    files = set(os.listdir(os.path.join(COMPONENTS, folder)))
    assert COMPONENT_FILES <= files, (folder, COMPONENT_FILES - files)


@pytest.mark.parametrize("path", sorted(
    glob.glob(os.path.join(COMPONENTS, "*", "*runner.py"))),
                         ids=os.path.basename)
def test_runners_know_no_tfx_artifacts(path):
  tfx = [m for m in _imports(path)
         if m == "tfx" or m.startswith("tfx.") or m in (
             "tfx_compression.artifact_io", "tfx_compression.step_executor")]
  assert tfx == [], path


def test_no_module_over_400_lines():
  paths = [p for folder in ("components", "pipelines", "benchmarks", "tests")
           for p in glob.glob(os.path.join(ROOT, folder, "**", "*.py"),
                              recursive=True)]
  assert len(paths) > 100
  long = {os.path.relpath(p, ROOT): n for p in paths
          if (n := sum(1 for _ in open(p))) > 400}
  assert long == {}
