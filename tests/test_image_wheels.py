"""The image installs from wheels: every locked runtime package has one.

kubeflow/Dockerfile exports uv.lock's runtime packages (`uv export --no-dev`,
minus its PRUNE list) and installs them from wheels: published ones, or for
its SOURCE_BUILDS list, wheels built in its builder stage. A published wheel
counts when it installs on the image: CPython 3.10, x86_64, glibc 2.36
(manylinux_2_36 or older), or pure Python.
"""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest
import tomli
from packaging import tags
from packaging import utils

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir)
DOCKERFILE = os.path.join(REPO, "kubeflow", "Dockerfile")
GLIBC_MINOR = 36  # Debian 12 (python:3.10-slim-bookworm)
_PLATFORMS = ([f"manylinux_2_{m}_x86_64" for m in range(GLIBC_MINOR, 4, -1)]
              + ["manylinux2014_x86_64", "manylinux2010_x86_64",
                 "manylinux1_x86_64"])
IMAGE_TAGS = frozenset(
    list(tags.cpython_tags((3, 10), abis=["cp310", "abi3", "none"],
                           platforms=_PLATFORMS))
    + list(tags.compatible_tags((3, 10), "cp310", _PLATFORMS)))


def _dockerfile_arg(name: str) -> str:
  with open(DOCKERFILE) as f:
    (value,) = re.findall(rf'^ARG {name}="?([^"\n]*)"?$', f.read(), re.M)
  return value


def installs_on_image(wheel_filename: str) -> bool:
  """Whether the image's pip would install this wheel file."""
  return bool(set(utils.parse_wheel_filename(wheel_filename)[3]) & IMAGE_TAGS)


def _uv() -> str:
  for candidate in (os.environ.get("UV"), shutil.which("uv"),
                    os.path.join(REPO, ".tools", "bin", "uv")):
    if candidate and os.path.exists(candidate):
      return candidate
  pytest.fail("uv not found: run the tests with `uv run` or `make test`")


def _runtime_packages(prune: bool = True):
  """(name, version) of what the Dockerfile installs, from `uv export`.

  Args:
    prune: Leave out the Dockerfile's PRUNE packages, as it does.
  """
  prunes = [a for p in _dockerfile_arg("PRUNE").split() for a in ("--prune", p)]
  out = subprocess.run(
      [_uv(), "export", "--frozen", "--no-dev", "--all-extras",
       "--no-emit-project",
       "--no-hashes", "--format", "requirements-txt",
       *(prunes if prune else [])],
      cwd=REPO, check=True, capture_output=True, text=True).stdout
  return [(utils.canonicalize_name(n), v) for n, v in
          re.findall(r"^([A-Za-z0-9_.-]+)==([^\s;\\]+)", out, re.M)]


def _lock_wheels():
  """(name, version) -> the wheel file names uv.lock lists."""
  with open(os.path.join(REPO, "uv.lock"), "rb") as f:
    lock = tomli.load(f)
  return {(utils.canonicalize_name(p["name"]), p["version"]):
          [w["url"].rsplit("/", 1)[1] for w in p.get("wheels", [])]
          for p in lock["package"]}


def test_every_runtime_package_has_a_wheel_or_is_built_in_the_builder():
  wheels = _lock_wheels()
  packages = _runtime_packages()
  assert len(packages) > 150
  no_wheel = {name for name, version in packages
              if not any(map(installs_on_image, wheels[name, version]))}
  built = {utils.canonicalize_name(n)
           for n in _dockerfile_arg("SOURCE_BUILDS").split(",")}
  assert no_wheel - built == set(), "add to SOURCE_BUILDS, or find wheels"
  assert built - no_wheel == set(), "SOURCE_BUILDS lists packages with wheels"


def test_export_keeps_the_pins_and_drops_the_notebook_stack():
  packages = dict(_runtime_packages())
  for name, version in (("tfx", "1.16.0"), ("tensorflow", "2.16.2"),
                        ("tensorflow-model-analysis", "0.47.1"),
                        ("tensorflow-model-optimization", "0.8.1"),
                        ("pyfarmhash", "0.3.2")):
    assert packages[name] == version, name
  for name in ("notebook", "jupyterlab", "jupyter-server", "nbconvert",
               "libclang", "kfp", "pytest"):
    assert name not in packages, name
  # TFMA imports ipywidgets, which imports ipykernel.
  assert "ipywidgets" in packages and "ipykernel" in packages
  # The dev group's kfp caps urllib3 below 2; the runtime keeps urllib3 2.
  assert packages["urllib3"].startswith("2.")


@pytest.mark.parametrize("wheel, installs", [
    ("numpy-1.26.4-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
     True),
    ("six-1.16.0-py2.py3-none-any.whl", True),
    ("pyarrow-10.0.1-cp310-cp310-manylinux_2_17_x86_64.whl", True),
    ("cryptography-44.0.0-cp39-abi3-manylinux_2_28_x86_64.whl", True),
    ("ml_metadata-1.21.0-cp310-cp310-manylinux_2_39_x86_64.whl", False),
    ("numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.whl", False),
    ("numpy-1.26.4-cp310-cp310-manylinux_2_17_aarch64.whl", False),
    ("numpy-1.26.4-cp310-cp310-macosx_11_0_x86_64.whl", False),
])
def test_wheel_tags_the_image_installs(wheel, installs):
  assert installs_on_image(wheel) == installs


# Imports what the image's containers import: the launcher, ExampleGen's
# driver, every executor of the pipeline and the libraries they load inside
# Do(); prints the distributions that provided the imported modules.
_PROBE = """
import importlib, importlib.metadata, json, sys
for module in (
    "tfx.orchestration.kubeflow.v2.container.kubeflow_v2_run_executor",
    "tfx.orchestration.kubeflow.v2.file_based_example_gen.driver",
    "tfx.components.example_gen.import_example_gen.executor",
    "tfx.components.example_gen.csv_example_gen.executor",
    "tfx.components.statistics_gen.executor",
    "tfx.components.schema_gen.executor", "tfx.components.transform.executor",
    "tfx.components.trainer.executor", "tfx.components.pusher.executor",
    "tfx_compression.pruner.executor",
    "tfx_compression.quantization_aware_trainer.executor",
    "tfx_compression.post_training_quantizer.executor",
    "tfx_compression.lite_converter.executor",
    "tfx_compression.compression_evaluator.executor",
    "tensorflow_model_analysis", "tensorflow_model_optimization",
    "tensorflow_data_validation", "tensorflow_transform", "apache_beam"):
  importlib.import_module(module)
import tensorflow_model_analysis as tfma
tfma.default_eval_shared_model  # gone when TFMA's own imports failed
top = {name.split(".")[0] for name in list(sys.modules)}
dists = importlib.metadata.packages_distributions()
print(json.dumps(sorted({d for name in top for d in dists.get(name, [])})))
"""


def test_no_pruned_package_is_imported_by_the_containers():
  pruned = {n for n, _ in _runtime_packages(prune=False)} - {
      n for n, _ in _runtime_packages()}
  assert "notebook" in pruned
  out = subprocess.run([sys.executable, "-c", _PROBE], check=True,
                       capture_output=True, text=True).stdout
  imported = {utils.canonicalize_name(d)
              for d in json.loads(out.strip().splitlines()[-1])}
  assert "ipywidgets" in imported and "tensorflow" in imported
  assert imported & pruned == set()
