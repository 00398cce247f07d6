"""The core install leaves optional parts out; using one names its extra, and
a report without plots is still written."""

import sys

import pytest

from tfx_compression import extras
from tfx_compression.errors import MissingExtraError


@pytest.fixture
def without(monkeypatch):
  """Makes `import <module>` fail, as when its extra is not installed."""
  def hide(*modules):
    for module in modules:
      monkeypatch.setitem(sys.modules, module, None)
  return hide


@pytest.mark.parametrize("modules, call, message", [
    (("coremltools",),
     lambda: __import__("tfx_compression.lib.export.coreml",
                        fromlist=["_ct"])._ct(),
     "CoreMLConverter needs coremltools, which the core install leaves out: "
     "pip install 'tfx-compression[coreml]'"),
    (("tabulate",),
     lambda: __import__("tfx_compression.pipelines.demo_report",
                        fromlist=["x"]).format_table([]),
     "The console table needs tabulate, which the core install leaves out: "
     "pip install 'tfx-compression[demo]'"),
    (("sklearn", "sklearn.datasets"),
     lambda: __import__("tfx_compression.pipelines.digits_data",
                        fromlist=["x"]).load_digits_arrays(),
     "The demo's digits data needs scikit-learn, which the core install "
     "leaves out: pip install 'tfx-compression[demo]'"),
])
def test_a_missing_extra_is_named(without, modules, call, message):
  without(*modules)
  with pytest.raises(MissingExtraError) as raised:
    call()
  assert str(raised.value) == message
  assert isinstance(raised.value, ValueError)  # invalid set-up: exit code 2


def test_plots_without_matplotlib_become_a_note(without):
  from tfx_compression.lib.report import svg_plots  # pylint: disable=g-import-not-at-top
  without("matplotlib", "matplotlib.figure")
  svg = svg_plots.bars(["a"], {"x": [1.0]}, "title", "x", "y")
  assert svg.startswith("<p class='note'>No plot: Report plots needs "
                        "matplotlib"), svg
  assert "tfx-compression[plots]" in svg


def test_kubeflow_compilation_names_its_extra(without):
  from tfx_compression.pipelines import kubeflow  # pylint: disable=g-import-not-at-top
  without("kfp.pipeline_spec", "kfp.pipeline_spec.pipeline_spec_pb2")
  with pytest.raises(MissingExtraError,
                     match=r"Compiling for Kubeflow needs kfp-pipeline-spec.*"
                     r"tfx-compression\[kubeflow\]"):
    kubeflow.compile_job(None, "registry.example/image:1")
  assert extras.KUBEFLOW == "kubeflow"
