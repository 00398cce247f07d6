"""The CoreMLConverter's work on plain objects: load, convert, validate."""

import dataclasses
from typing import Any


@dataclasses.dataclass(frozen=True)
class Converted:
  summary: Any  # coreml.PackageSummary
  keras_parameters: int


def convert(source_dir: str, package_path: str, config) -> Converted:
  """Loads the Keras model, converts it to `package_path`, checks the package.

  Raises:
    UnsupportedModelError: the artifact holds no loadable Keras model (or
      Lambda layers without trust_model_code).
    ConversionError: coremltools failed.
    ModelValidationError: the package's inputs/outputs differ from Keras'.
  """
  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.export import coreml
  from tfx_compression.lib.keras import saved_model_io
  model = saved_model_io.load_keras_model(source_dir,
                                    trust_model_code=config.trust_model_code)
  coreml.convert(model, config.precision,
                            config.weight_quantization, package_path)
  summary = coreml.summarize(package_path)
  coreml.validate(summary, model)
  return Converted(summary, int(model.count_params()))
