"""The error hierarchy of tfx-compression.

Every error subclasses a built-in (ValueError for bad input, RuntimeError for
a step that failed on valid input) so callers can catch either family.
"""


class CompressionError(Exception):
  """Base class of every error raised by tfx-compression."""


class CompressionConfigError(CompressionError, ValueError):
  """A parameter is out of range, of the wrong type, or conflicts with another."""


class InsufficientExamplesError(CompressionConfigError):
  """A split holds no examples, or fewer than the requested sample size."""


class WorkdirInUseError(CompressionConfigError):
  """Another run holds the working directory."""


class UnsupportedModelError(CompressionError, ValueError):
  """The model artifact is not a model this step can read or compress."""


class FloatIoModelError(UnsupportedModelError):
  """A TFLite model with float (not int8) inputs or outputs where int8 I/O is needed."""


class InputMismatchError(CompressionError, ValueError):
  """The model's inputs and the examples' features do not line up."""


class DataError(CompressionError, ValueError):
  """The examples are unreadable, or a record's feature or label is invalid."""


class ConversionError(CompressionError, RuntimeError):
  """The TFLite converter failed on a valid model."""


class ModelValidationError(CompressionError, RuntimeError):
  """A produced model failed its post-validation on real examples.

  Attributes:
    evidence: What the failed step measured, kept with the rejected
      candidate (e.g. the quantizer's per-layer errors), by kind.
  """

  def __init__(self, message: str = "", evidence=None):
    super().__init__(message)
    self.evidence = dict(evidence or {})


class StepFailedError(CompressionError, RuntimeError):
  """A library under a component (TensorFlow, TFMA, Beam) failed on valid input."""


class BenchmarkError(StepFailedError):
  """A model could not be measured (resized, invoked or its memory probed)."""


class MissingExtraError(CompressionConfigError):
  """An optional part is used but its extra is not installed."""
