"""CompressionEvaluator executor: artifacts in, ModelEvaluation and ModelBlessing out.

Any error after the configuration is read (unreadable model, input-name
mismatch, TFMA failure, incomplete metrics), and a candidate its producer
rejected (`step_executor.rejection`), is recorded in report.json and
published as NOT_BLESSED: the execution succeeds so that the blessing exists
and downstream Pusher / Cond see an explicit refusal. Only an unreadable
configuration fails the execution (nothing is published then).
"""

import os
import traceback
from typing import Any, Dict

from absl import logging
from tfx.dsl.components.base import base_beam_executor
from tfx.dsl.io import fileio

from tfx_compression.framework import spec_channels
from tfx_compression.framework import artifact_io
from tfx_compression.framework import blessing as blessing_io
from tfx_compression.framework import error_boundary
from tfx_compression.framework import properties
from tfx_compression.framework import step_executor
from tfx_compression.compression_evaluator import checks
from tfx_compression.compression_evaluator import evaluation_properties
from tfx_compression.compression_evaluator import spec
from tfx_compression.compression_evaluator.config import CompressionEvaluatorConfig
from tfx_compression.compression_evaluator.models import ModelSource

# What the stock Evaluator writes (tfx/components/evaluator/constants.py),
# which the stock Pusher and tfx.dsl.Cond read: `blessed`, the model uris;
# not `current_model_id` (see blessing.py), the candidate is named by ours.
PROP_BLESSED = blessing_io.PROP_BLESSED
PROP_CURRENT_MODEL = blessing_io.PROP_CURRENT_MODEL
PROP_BASELINE_MODEL = blessing_io.PROP_BASELINE_MODEL
PROP_BASELINE_MODEL_ID = blessing_io.PROP_BASELINE_MODEL_ID
PROP_CANDIDATE_MODEL_ID = properties.CANDIDATE_MODEL_ID
PROP_BLESSING_MESSAGE = properties.BLESSING_MESSAGE


class Executor(step_executor.StepExecutor,
               base_beam_executor.BaseBeamExecutor):
  """Runs TFMA and the budget measurements, then writes the verdict."""

  COMPONENT = "CompressionEvaluator"
  CONFIG = CompressionEvaluatorConfig
  CANDIDATE = False

  def run(self, config, inputs, outputs) -> str:
    # pylint: disable=g-import-not-at-top
    from tfx_compression.compression_evaluator import quantizer_layers
    from tfx_compression.compression_evaluator import quantizer_search
    from tfx_compression.compression_evaluator import report as report_page
    from tfx_compression.compression_evaluator import runner

    model, baseline = inputs[spec_channels.MODEL_KEY], inputs[spec.BASELINE_MODEL_KEY]
    blessed = inputs.get(spec.BLESSED_BASELINE_MODEL_KEY)
    evaluation = outputs[spec.EVALUATION_KEY]
    report: Dict[str, Any] = {
        "config": config.to_dict(), "error": None,
        "variant": variant_name(self._context, model.uri),
        "quantizer_layers": None, "quantizer_search": None}
    try:
      rejected = step_executor.rejection(model)
      if rejected:
        raise CandidateRejected(rejected)
      report["quantizer_layers"] = quantizer_layers.read(model.uri)
      report["quantizer_search"] = quantizer_search.read(model.uri)
      source = lambda role, a: ModelSource(
          role, a.uri, artifact_io.serving_dir(a.uri),
          artifact_io.is_tflite(a.uri))
      files = artifact_io.split_files(inputs[spec_channels.EXAMPLES_KEY],
                                      config.example_split)
      report.update(runner.evaluate(
          config, source(runner.CANDIDATE, model),
          source(runner.BASELINE, baseline), files, evaluation.uri,
          self._beam_pipeline_args, inputs.uri(spec_channels.TRANSFORM_GRAPH_KEY),
          source(runner.BLESSED_BASELINE, blessed) if blessed else None))
    except CandidateRejected as e:
      report["error"] = report["rejected"] = str(e)
      report["checks"] = [checks.Check(
          checks.EVALUATION, False, None, None,
          f"the candidate was rejected before evaluation: {e}").to_dict()]
    except Exception as e:  # pylint: disable=broad-except
      logging.exception("CompressionEvaluator: evaluation failed")
      e = error_boundary.translate(e, self.COMPONENT, model.uri)
      report["error"] = f"{type(e).__name__}: {e}"
      report["traceback"] = traceback.format_exc()
      report.setdefault("checks", []).append(checks.Check(
          checks.EVALUATION, False, None, None,
          f"evaluation failed, so the candidate is not blessed: "
          f"{type(e).__name__}: {e}").to_dict())
    failed = [c["name"] for c in report["checks"] if not c["passed"]]
    is_blessed = (not failed and report["error"] is None and
                  bool(report["checks"]))
    report["failed_checks"] = failed
    report["verdict"] = (properties.VERDICT_BLESSED if is_blessed
                         else properties.VERDICT_NOT_BLESSED)
    artifact_io.write_report(evaluation.uri, report)
    with fileio.open(os.path.join(evaluation.uri, spec.REPORT_HTML_FILE),
                     "w") as f:
      f.write(report_page.render(report))
    evaluation_properties.set_on(evaluation, report)
    not_gated = report.get("not_gated") or []
    message = ("all checks passed" if is_blessed else "failed: " + "; ".join(
        f"{c['name']} ({c.get('reason') or 'failed'})"
        for c in report["checks"] if not c["passed"]))
    if not_gated:
      message += f"; not gated (no budget set): {', '.join(not_gated)}"
    blessing = outputs[spec.BLESSING_KEY]
    blessing_io.write(blessing, is_blessed, model.uri, message, model.id)
    blessing.set_string_custom_property(PROP_BASELINE_MODEL, baseline.uri)
    blessing.set_int_custom_property(PROP_BASELINE_MODEL_ID, baseline.id)
    return f"{report['verdict']} ({', '.join(failed) or 'all checks passed'})"


class CandidateRejected(Exception):
  """The candidate was published as rejected by the step that made it."""


def variant_name(context, candidate_uri: str) -> str:
  """The candidate's name for the report: its variant in the pipeline.

  `add_compression` names the evaluator `CompressionEvaluator.<variant>`
  and the candidate's producer `<Component>.<variant>`: the variant comes
  from this node's id when the orchestrator passes it, else from the
  producer's directory in the candidate's uri
  (`<pipeline root>/<producer id>/<output key>/<execution id>`; a producer
  id without a variant is used whole), else it is the uri's last part.
  """
  node = getattr(context, "pipeline_node", None) if context else None
  node_id = node.node_info.id if node is not None else ""
  if "." in node_id:
    return node_id.split(".", 1)[1]
  parts = [p for p in candidate_uri.rstrip("/").split("/") if p] or [""]
  producer = (parts[-3] if len(parts) >= 3 and parts[-1].isdigit()
              else parts[-1])
  return producer.split(".", 1)[1] if "." in producer else producer
