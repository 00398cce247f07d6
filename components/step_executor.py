"""What every executor does around its component's work.

`StepExecutor.Do` logs the startup, reads the config from the exec
properties, resolves each channel to its one artifact, and calls the
component's `run(config, inputs, outputs)` inside the error boundary
(`error_boundary.reported_as`, naming the source Model), every output
emptied if it raises; then it logs the summary `run` returns. Below `run`,
runners take uris, bytes and configs, not TFX types.

A mixin: `class Executor(StepExecutor, base_executor.BaseExecutor)`, or with
`base_beam_executor.BaseBeamExecutor` (not imported here: it imports Beam).
"""

import contextlib
from typing import Any, Dict, List, Mapping, Optional

from absl import logging

from tfx_compression import artifact_io
from tfx_compression import error_boundary
from tfx_compression.errors import InputMismatchError


class Artifacts(dict):
  """Channel key -> its one artifact (None: an empty optional input)."""

  def uri(self, key: str) -> Optional[str]:
    artifact = self.get(key)
    return None if artifact is None else artifact.uri


def resolve(artifact_dict: Mapping[str, List[Any]],
            optional: bool = True) -> Artifacts:
  """The one artifact of each key; an empty list is None if `optional`.

  Raises:
    InputMismatchError: a key holds several artifacts (or none, when not
      `optional`), naming the key and the uris.
  """
  resolved = Artifacts()
  for key, artifacts in artifact_dict.items():
    if len(artifacts) > 1 or (not artifacts and not optional):
      raise InputMismatchError(
          f"{key!r} must hold one artifact; got {len(artifacts)}: "
          f"{[a.uri for a in artifacts]}")
    resolved[key] = artifacts[0] if artifacts else None
  return resolved


class StepExecutor:
  """Resolve artifacts -> `run` -> publish, for one component.

  Subclasses set `COMPONENT` (its name in errors and logs), `CONFIG` (its
  `config_utils.JsonConfig` class) and `SOURCE_KEY` (the input errors name;
  None: the first output), and implement `run`.
  """

  COMPONENT: str = ""
  CONFIG: Any = None
  SOURCE_KEY: Optional[str] = "model"

  def Do(self, input_dict: Dict[str, List[Any]],
         output_dict: Dict[str, List[Any]],
         exec_properties: Dict[str, Any]) -> None:
    self._log_startup(input_dict, output_dict, exec_properties)
    config = self.CONFIG.from_exec_properties(exec_properties)
    inputs = resolve(input_dict)
    outputs = resolve(output_dict, optional=False)
    subject = (inputs[self.SOURCE_KEY] if self.SOURCE_KEY
               else next(iter(outputs.values())))
    with contextlib.ExitStack() as stack:
      for artifact in outputs.values():
        stack.enter_context(artifact_io.cleared_on_failure(artifact.uri))
      stack.enter_context(
          error_boundary.reported_as(self.COMPONENT, subject.uri))
      summary = self.run(config, inputs, outputs)
    logging.info("%s: %s", self.COMPONENT, summary)

  def run(self, config: Any, inputs: Artifacts, outputs: Artifacts) -> str:
    """Does the component's work into `outputs`; returns the summary logged."""
    raise NotImplementedError
