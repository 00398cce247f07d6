"""The layout kept: one shape per component, lib/ by area in one order, and
library code and runners free of TFX (transitively)."""

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
             "tfx_compression.framework.artifact_io", "tfx_compression.framework.step_executor")]
  assert tfx == [], path


def test_no_module_over_400_lines():
  paths = [p for folder in ("components", "pipelines", "benchmarks", "tests")
           for p in glob.glob(os.path.join(ROOT, folder, "**", "*.py"),
                              recursive=True)]
  assert len(paths) > 100
  long = {os.path.relpath(p, ROOT): n for p in paths
          if (n := sum(1 for _ in open(p))) > 400}
  assert long == {}


LIB = os.path.join(COMPONENTS, "lib")


def _lib_order():
  """lib/__init__.py's ORDER, read without importing the package."""
  tree = ast.parse(open(os.path.join(LIB, "__init__.py")).read())
  (order,) = [ast.literal_eval(n.value) for n in tree.body
              if isinstance(n, ast.Assign) and n.targets[0].id == "ORDER"]
  return order


def test_lib_areas_import_only_the_areas_before_them():
  order = _lib_order()
  areas = sorted(d for d in os.listdir(LIB)
                 if os.path.isdir(os.path.join(LIB, d)) and d != "__pycache__")
  assert sorted(order) == areas
  assert [f for f in os.listdir(LIB) if f.endswith(".py")] == ["__init__.py"]
  upward = []
  for area in areas:
    for path in glob.glob(os.path.join(LIB, area, "*.py")):
      for module in _imports(path):
        parts = module.split(".")
        if parts[:2] == ["tfx_compression", "lib"] and len(parts) > 2 and (
            parts[2] in order and order.index(parts[2]) > order.index(area)):
          upward.append((os.path.relpath(path, LIB), module))
  assert upward == []


def _file_of(module):
  """The file of a tfx_compression module (None: not ours, or a name)."""
  parts = module.split(".")
  if parts[0] != "tfx_compression":
    return None
  base = (os.path.join(ROOT, "pipelines", *parts[2:])
          if parts[1:2] == ["pipelines"] else
          os.path.join(COMPONENTS, *parts[1:]))
  for path in (base + ".py", os.path.join(base, "__init__.py")):
    if os.path.isfile(path):
      return path
  return None


def _reaches(path, forbidden):
  """The chain of imports from `path` to a module `forbidden` accepts."""
  chains, seen = [[path]], {path}
  while chains:
    chain = chains.pop()
    for module in _imports(chain[-1]):
      if forbidden(module):
        return [os.path.relpath(p, ROOT) for p in chain] + [module]
      parts = module.split(".")
      # 'from a.b import c': c may be a module or a name of a.b.
      for candidate in (module, ".".join(parts[:-1])):
        found = _file_of(candidate)
        if found and found not in seen:
          seen.add(found)
          chains.append(chain + [found])
          break
  return None


def _is_tfx(module):
  return module == "tfx" or module.startswith("tfx.")


@pytest.mark.parametrize("path", sorted(
    glob.glob(os.path.join(LIB, "*", "*.py")) +
    glob.glob(os.path.join(COMPONENTS, "*", "*runner.py"))),
                         ids=lambda p: os.path.relpath(p, COMPONENTS))
def test_library_code_and_runners_reach_no_tfx(path):
  """Not even through another of our modules (nested imports included)."""
  forbidden = lambda m: _is_tfx(m) or (path.endswith("runner.py") and m in (
      "tfx_compression.framework.artifact_io", "tfx_compression.framework.step_executor"))
  assert _reaches(path, forbidden) is None
