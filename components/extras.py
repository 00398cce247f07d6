"""Optional parts of the install, imported when used: a missing one is named
with the extra that installs it (pyproject.toml's optional-dependencies)."""

import importlib

CORE_ML = "coreml"  # coremltools: CoreMLConverter
DEMO = "demo"  # scikit-learn's digits and tabulate: the CLI
PLOTS = "plots"  # matplotlib: the report and comparison page plots
KUBEFLOW = "kubeflow"  # kfp-pipeline-spec: compile-kubeflow


def require(module: str, extra: str, purpose: str, package: str = ""):
  """Imports `module`, or raises MissingExtraError naming `extra` (and the
  `package` that provides it, default: the module's top name)."""
  from tfx_compression.errors import MissingExtraError  # pylint: disable=g-import-not-at-top
  try:
    return importlib.import_module(module)
  except ImportError as e:
    raise MissingExtraError(
        f"{purpose} needs {package or module.split('.')[0]}, which the core "
        "install "
        f"leaves out: pip install 'tfx-compression[{extra}]'") from e
