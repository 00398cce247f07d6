"""Key figures of an evaluation as ModelEvaluation custom properties.

One set of names for every evaluation, so that the CandidateSelector, MLMD
queries and the Kubeflow / Vertex UIs compare candidates without reading
report.json.
"""

from typing import Any, Dict

from tfx_compression.framework import properties


def set_on(evaluation, report: Dict[str, Any]) -> None:
  """Sets the verdict, overall metrics and candidate figures on `evaluation`."""
  evaluation.set_string_custom_property(properties.EVAL_VERDICT,
                                        report.get("verdict", ""))
  if report.get("rejected"):
    evaluation.set_int_custom_property(properties.REJECTED, 1)
    evaluation.set_string_custom_property(properties.REJECTION_REASON,
                                          report["rejected"])
  if report.get("task"):
    evaluation.set_string_custom_property(properties.TASK,
                                          report["task"]["task"])
  for result in report.get("metrics") or []:
    if (result["slice_name"] == "Overall" and result["kind"] == "change" and
        result["against"] == "baseline" and result["candidate"] is not None):
      evaluation.set_float_custom_property(
          properties.EVAL_METRIC_PREFIX + result["metric"],
          result["candidate"])
      if result["diff"] is not None:
        evaluation.set_float_custom_property(
            properties.EVAL_METRIC_PREFIX + result["metric"] +
            properties.EVAL_DIFF_SUFFIX, result["diff"])
  for interval in report.get("uncertainty") or []:
    if (interval["against"] == "baseline" and
        interval.get("slice_name", "Overall") == "Overall"):
      name = properties.EVAL_METRIC_PREFIX + interval["metric"]
      evaluation.set_float_custom_property(
          name + properties.EVAL_DIFF_LOW_SUFFIX, interval["low"])
      evaluation.set_float_custom_property(
          name + properties.EVAL_DIFF_HIGH_SUFFIX, interval["high"])
  candidate = report.get("candidate") or {}
  for key, name in ((properties.SIZE_BYTES, "size_bytes"),
                    (properties.GZIP_SIZE_BYTES, "gzip_size_bytes"),
                    (properties.LATENCY_MEDIAN_US, "latency_median_us"),
                    (properties.PEAK_MEMORY_BYTES, "peak_memory_bytes")):
    value = candidate.get(name)
    if value is not None:
      evaluation.set_float_custom_property(key, float(value))
