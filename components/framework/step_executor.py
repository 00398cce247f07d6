"""What every executor does around its component's work.

`StepExecutor.Do` logs the startup, reads the config from the exec
properties, resolves each channel to its one artifact, and calls the
component's `run(config, inputs, outputs)` inside the error boundary
(`error_boundary.reported_as`, naming the source Model), every output
emptied if it raises; then it logs the summary `run` returns. Below `run`,
runners take uris, bytes and configs, not TFX types.

Candidates fail soft: when a component that produces a candidate made it
but the candidate fails its own validation (`ModelValidationError`) or the
converter fails on it (`ConversionError`), the outputs are published as
REJECTED (properties `rejected`, `rejection_reason`, and `rejection.json`),
with what the step wrote kept as evidence. A step whose input is rejected
passes the rejection on without working; the CompressionEvaluator makes it
NOT_BLESSED. The other branches and the CandidateSelector run on. Invalid
input (configuration, model, data) still fails the run.

A mixin: `class Executor(StepExecutor, base_executor.BaseExecutor)`, or with
`base_beam_executor.BaseBeamExecutor` (not imported here: it imports Beam).
"""

import contextlib
import os
from typing import Any, Dict, List, Mapping, Optional

from absl import logging

from tfx_compression.framework import artifact_io
from tfx_compression.framework import error_boundary
from tfx_compression.framework import properties
from tfx_compression.errors import ConversionError
from tfx_compression.errors import InputMismatchError
from tfx_compression.errors import ModelValidationError

# A candidate's own failures: the candidate is rejected, the run goes on.
REJECTABLE = (ModelValidationError, ConversionError)
REJECTION_FILE = "rejection.json"


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


def rejection(artifact) -> Optional[str]:
  """Why `artifact` was rejected, or None (see the module docstring)."""
  if artifact is None or not artifact.has_custom_property(
      properties.REJECTED):
    return None
  if not artifact.get_int_custom_property(properties.REJECTED):
    return None
  return artifact.get_string_custom_property(
      properties.REJECTION_REASON) or "rejected"


def rejected_input(inputs: Mapping[str, Any]):
  """(key, reason) of the first rejected input artifact, or None."""
  for key, artifact in inputs.items():
    reason = rejection(artifact)
    if reason:
      return key, reason
  return None


def reject(outputs: Mapping[str, Any], reason: str, component: str) -> None:
  """Publishes every output as a rejected candidate, files kept."""
  logging.error("%s: candidate REJECTED (the run goes on without it): %s",
                component, reason)
  for artifact in outputs.values():
    artifact.set_int_custom_property(properties.REJECTED, 1)
    artifact.set_string_custom_property(properties.REJECTION_REASON, reason)
    artifact_io.write_json(os.path.join(artifact.uri, REJECTION_FILE), {
        "component": component, "reason": reason,
        "kept": artifact_io.files(artifact.uri)})


class StepExecutor:
  """Resolve artifacts -> `run` -> publish, for one component.

  Subclasses set `COMPONENT` (its name in errors and logs), `CONFIG` (its
  `config_utils.JsonConfig` class) and `SOURCE_KEY` (the input errors name;
  None: the first output), and implement `run`.
  """

  COMPONENT: str = ""
  CONFIG: Any = None
  SOURCE_KEY: Optional[str] = "model"
  # Whether the outputs are a candidate, published as rejected when it fails
  # its own validation (False: the evaluator and selector judge candidates).
  CANDIDATE: bool = True

  def Do(self, input_dict: Dict[str, List[Any]],
         output_dict: Dict[str, List[Any]],
         exec_properties: Dict[str, Any]) -> None:
    self._log_startup(input_dict, output_dict, exec_properties)
    config = self.CONFIG.from_exec_properties(exec_properties)
    inputs = resolve(input_dict)
    outputs = resolve(output_dict, optional=False)
    subject = (inputs[self.SOURCE_KEY] if self.SOURCE_KEY
               else next(iter(outputs.values())))
    upstream = rejected_input(inputs)
    if upstream and self.CANDIDATE:
      key, reason = upstream
      reject(outputs, f"its input {key!r} was rejected: {reason}",
             self.COMPONENT)
      return
    try:
      with contextlib.ExitStack() as stack:
        keep = REJECTABLE if self.CANDIDATE else ()
        for artifact in outputs.values():
          stack.enter_context(
              artifact_io.cleared_on_failure(artifact.uri, keep))
        stack.enter_context(
            error_boundary.reported_as(self.COMPONENT, subject.uri))
        summary = self.run(config, inputs, outputs)
    except REJECTABLE as e:
      if not self.CANDIDATE:
        raise
      reject(outputs, f"{type(e).__name__}: {e}", self.COMPONENT)
      return
    logging.info("%s: %s", self.COMPONENT, summary)

  def run(self, config: Any, inputs: Artifacts, outputs: Artifacts) -> str:
    """Does the component's work into `outputs`; returns the summary logged."""
    raise NotImplementedError
