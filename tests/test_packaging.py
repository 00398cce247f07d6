"""The wheel installs `tfx_compression` (and only it) and its public names import."""

import os
import subprocess
import sys
import sysconfig
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
  out = tmp_path_factory.mktemp("dist")
  subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation",
                  "--outdir", str(out), ROOT], check=True, capture_output=True)
  (path,) = out.glob("tfx_compression-*.whl")
  return path


def test_wheel_holds_only_the_tfx_compression_package(wheel):
  names = zipfile.ZipFile(wheel).namelist()
  tops = {n.split("/")[0] for n in names if not n.startswith("tfx_compression-")}
  assert tops == {"tfx_compression"}
  for source, package in (("components", "tfx_compression"),
                          ("pipelines", "tfx_compression/pipelines")):
    for folder, _, files in os.walk(os.path.join(ROOT, source)):
      if "__init__.py" in files:
        rel = os.path.relpath(folder, os.path.join(ROOT, source))
        init = os.path.normpath(os.path.join(package, rel, "__init__.py"))
        assert init in names, f"package {folder} is missing from the wheel"
  for expected in ("tfx_compression/__init__.py",
                   "tfx_compression/lite_converter/component.py",
                   "tfx_compression/lite_converter/README.md",
                   "tfx_compression/pipelines/digits_trainer.py",
                   "tfx_compression/pipelines/cli.py"):
    assert expected in names


def test_installed_wheel_imports_public_names(wheel, tmp_path):
  venv = tmp_path / "venv"
  subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)],
                 check=True)
  target = venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
  # Install the wheel alone; borrow its dependencies from this environment.
  subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps",
                  "--quiet", "--target", str(target), str(wheel)], check=True)
  (target / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
  code = ("import tfx_compression, os; "
          "from tfx_compression import LiteConverter, LiteConverterConfig; "
          "from tfx_compression.pipelines import cli, digits_trainer; "
          "print(os.path.dirname(tfx_compression.__file__)); "
          "print(sorted(os.listdir(os.path.dirname(os.path.dirname(tfx_compression.__file__)))))")
  result = subprocess.run([str(venv / "bin" / "python"), "-c", code],
                          check=True, capture_output=True, text=True,
                          cwd=str(tmp_path))
  package_dir, listing = result.stdout.strip().splitlines()[-2:]
  assert package_dir == str(target / "tfx_compression")
  assert "components" not in listing and "'pipelines'" not in listing
