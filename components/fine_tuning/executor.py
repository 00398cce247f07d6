"""The executor skeleton of the components that fine-tune (Pruner, QAT,
WeightClusterer): load the input Keras model and the training data, let the
component train and export, then write its report and training history.
"""

import dataclasses
import os
from typing import Any, Dict, Optional

from tfx.dsl.components.base import base_executor

from tfx_compression.framework import spec_channels
from tfx_compression.framework import artifact_io
from tfx_compression.framework import step_executor
from tfx_compression.framework import user_code
from tfx_compression.fine_tuning import data as tuning_data
from tfx_compression.fine_tuning import spec as tuning_spec


@dataclasses.dataclass(frozen=True)
class FineTuningRun:
  """One fine-tuning execution: its artifacts, model and data."""

  source: Any  # the input Model
  examples: Any  # the input Examples
  transform_dir: Optional[str]  # the input Transform graph's uri, or None
  output: Any  # the output Model
  model_run: Any  # the output ModelRun
  source_dir: str  # the input's SavedModel directory
  loaded: Any  # lib.model_loading.LoadedModel
  data: tuning_data.TrainingData
  reproduced: Optional[float]  # check_input_model's answer
  trusted: bool  # config.trust_model_code

  def export(self, trained_model) -> Optional[float]:
    """Saves `trained_model` into the output under the source's signatures.

    Returns `export.export_with_original_signatures`'s difference.
    """
    # pylint: disable=g-import-not-at-top
    import tempfile
    from tfx_compression.fine_tuning import export
    from tfx_compression.lib.training import distribution
    # pylint: enable=g-import-not-at-top
    # Multi-worker: only the chief writes the model; the others' exports
    # (the same weights) go to a directory of their own.
    target = (os.path.join(self.output.uri, artifact_io.SERVING_DIR)
              if distribution.is_chief() else
              os.path.join(tempfile.mkdtemp(prefix="worker_export_"),
                           artifact_io.SERVING_DIR))
    return export.export_with_original_signatures(
        trained_model, self.loaded, self.source_dir, target, self.data,
        self.trusted)

  def model_report(self, export_diff: Optional[float]) -> Dict[str, Any]:
    """report.json entries about the input model and the export."""
    from tfx_compression.fine_tuning import run_record  # pylint: disable=g-import-not-at-top
    return run_record.report(self.loaded, self.data, self.reproduced,
                            export_diff, self.trusted)


@dataclasses.dataclass(frozen=True)
class FineTuned:
  """What `fine_tune` returns: report.json, history.json, the log summary."""

  report: Dict[str, Any]
  history: Any
  summary: str


def check_input_model(loaded, data) -> Optional[float]:
  """Proves a `model_fn`-rebuilt model equals the saved one on real examples.

  Returns:
    The largest output difference, or None when the Keras model came from
    the artifact's own Keras metadata (nothing was rebuilt).

  Raises:
    UnsupportedModelError: the rebuilt model computes something else.
  """
  from tfx_compression.lib.conversion import model_loading  # pylint: disable=g-import-not-at-top
  if not loaded.rebuilt_by_model_fn:
    return None
  return model_loading.check_reproduces(loaded, data.check.inputs,
                                        f"model at {loaded.info.path}")


class FineTuningExecutor(step_executor.StepExecutor,
                         base_executor.BaseExecutor):
  """Subclasses implement `fine_tune`; their outputs are a Model and the
  ModelRun (TensorBoard logs and history.json)."""

  def run(self, config, inputs, outputs) -> str:
    # pylint: disable=g-import-not-at-top
    from tfx_compression.lib.conversion import model_loading
    from tfx_compression.lib.training import distribution
    # Before TensorFlow runs anything (multi-worker collectives need it).
    distribution.start(config.fine_tuning.distribution)
    source = inputs[spec_channels.MODEL_KEY]
    source_dir = artifact_io.keras_dir(source.uri, self.COMPONENT)
    loaded = model_loading.load_for_training(
        source_dir, self.COMPONENT, config.model_fn, config.module_file,
        config.trust_model_code, config.model_fn_kwargs, user_code.load_fn)
    data = tuning_data.load(inputs, config.fine_tuning, loaded,
                            config.input_fn, config.module_file)
    run = FineTuningRun(
        source=source, examples=inputs[spec_channels.EXAMPLES_KEY],
        transform_dir=inputs.uri(spec_channels.TRANSFORM_GRAPH_KEY),
        output=next(artifact for key, artifact in outputs.items()
                    if key != tuning_spec.MODEL_RUN_KEY),
        model_run=outputs[tuning_spec.MODEL_RUN_KEY], source_dir=source_dir,
        loaded=loaded, data=data,
        reproduced=check_input_model(loaded, data),
        trusted=config.trust_model_code)
    tuned = self.fine_tune(config, run)
    if data.task is not None:
      from tfx_compression.framework import properties
      run.output.set_string_custom_property(properties.TASK,
                                            data.task.task.value)
    artifact_io.write_report(run.output.uri, tuned.report)
    artifact_io.write_json(
        os.path.join(run.model_run.uri, tuning_spec.HISTORY_FILE),
        tuned.history)
    return f"wrote {run.output.uri}: {tuned.summary}"

  def fine_tune(self, config, run: FineTuningRun) -> FineTuned:
    """Trains, exports into `run.output` and sets its properties."""
    raise NotImplementedError


def report_head(config, run: FineTuningRun) -> Dict[str, Any]:
  """The report.json entries every fine-tuning component starts with."""
  return {"source_model": run.source.uri, "config": config.to_dict(),
          "data": run.data.source}
