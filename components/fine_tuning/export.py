"""Exporting a fine-tuned Keras model: as a SavedModel serving under the
source's signatures (proved on real records), or as the input of its TFLite
conversion (QAT)."""

from typing import Optional

from absl import logging


def export_with_original_signatures(trained_model, loaded, source_dir: str,
                                    export_dir: str, data,
                                    trust_model_code: bool = False
                                    ) -> Optional[float]:
  """Saves `trained_model` under the source's signatures and proves the export.

  Returns:
    The largest difference between the export's serving_default and
    `trained_model` on real eval records, or None when the records are not
    raw examples serving_default can parse (then nothing is compared).
  """
  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.export import serving_export
  from tfx_compression.lib.conversion import model_function
  serving_export.save_with_original_signatures(trained_model, source_dir,
                                             export_dir, trust_model_code)
  check = data.check
  if not (check.servable and loaded.info.serving.takes_serialized_examples):
    logging.warning("Export of %s not compared with serving_default: the "
                    "examples are not the raw records it parses.", export_dir)
    return None
  expected = model_function.from_keras(
      trained_model, loaded.info.output_keys).predict(check.inputs)
  return serving_export.check_export(export_dir, expected, check.serialized)


def tflite_input(loaded, trained_model, inputs, transform: Optional[str],
                 data, limit: int, component: str):
  """The conversion input for a fine-tuned Keras model (QAT export).

  The trained model replaces the source model in front of the same feature
  space: with `TfliteInputs.SERVING` the Transform graph (the directory
  `transform`, or None) is folded in.
  """
  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.conversion import conversion_input
  from tfx_compression.lib.data import examples_io
  from tfx_compression.lib.conversion import model_function
  from tfx_compression.lib.conversion import conversion_source
  serialized = examples_io.read_serialized(data.eval_files, limit)
  keys = examples_io.feature_keys(data.eval_files)
  source = f"the eval split ({data.eval_files[0]})"
  resolved = conversion_source.resolve(
      loaded, inputs, transform, keys, source,
      function=model_function.from_keras(trained_model,
                                         loaded.info.output_keys))
  reference = conversion_source.resolve(loaded, inputs, transform, keys, source)
  return conversion_input.ConversionInput(
      loaded=loaded, source=resolved, serialized=serialized,
      inputs=conversion_source.read_inputs(resolved.space, serialized),
      examples_source=source, reference=reference.function)
