"""QuantizationAwareTrainer executor: artifacts in, int8 TFLite + QAT SavedModel out."""

import json
import os
from typing import Any, Dict, List

from absl import logging
from tfx.dsl.components.base import base_executor

from tfx_compression import artifact_io
from tfx_compression import properties
from tfx_compression import training_data
from tfx_compression import training_spec
from tfx_compression.quantization_aware_trainer import spec
from tfx_compression.quantization_aware_trainer.config import QatConfig



class Executor(base_executor.BaseExecutor):
  """Runs QAT on the input Keras model and exports integer TFLite."""

  def Do(self, input_dict: Dict[str, List[Any]],
         output_dict: Dict[str, List[Any]],
         exec_properties: Dict[str, Any]) -> None:
    # pylint: disable=g-import-not-at-top
    from tfx_compression.lib import examples_io
    from tfx_compression.lib import keras_io
    from tfx_compression.lib import qat
    from tfx_compression.quantization_aware_trainer import runner

    self._log_startup(input_dict, output_dict, exec_properties)
    config = QatConfig.from_json(exec_properties[spec.CONFIG_KEY])
    with training_data.fine_tuning_run(
        input_dict, output_dict, spec.QAT_MODEL_KEY,
        "QuantizationAwareTrainer") as run:
      examples, output, model_run = run.examples, run.output, run.model_run
      model = keras_io.load_keras_model(run.source_dir, compile=True)
      specs = keras_io.input_specs(model)
      tuning = config.fine_tuning
      data = training_data.load(input_dict, tuning, specs, config.input_fn,
                                config.module_file)
      inputs, labels = examples_io.read_labelled(
          artifact_io.split_files(examples, tuning.eval_split), specs,
          tuning.label_key, config.num_validation_examples)
      float_accuracy = _keras_accuracy(model, inputs, labels)
      result = runner.train(model, config, data, model_run.uri)
      converted = runner.to_tflite(result.qat_model, config.io_type, inputs,
                                   config.min_argmax_agreement)
      tflite_accuracy = runner.tflite_accuracy(converted.model_bytes, inputs,
                                               labels)
      artifact_io.write_bytes(artifact_io.tflite_path(output.uri),
                              converted.model_bytes)
      keras_io.save_keras_model(result.qat_model,
                                os.path.join(output.uri, spec.KERAS_QAT_DIR))
      report = {
          "source_model": run.source.uri,
          "config": json.loads(config.to_json()),
          "data": data.source,
          "scheme": result.scheme.value,
          "quantized_layers": result.selection.quantized,
          "float_layers": result.selection.float_layers,
          "input_kernel_sparsity": result.input_sparsity,
          "int8_kernel_sparsity": qat.int8_kernel_sparsity(
              converted.model_bytes),
          "learning_rate": result.learning_rate,
          "eval_float": dict(result.eval_float),
          "eval_qat_keras": dict(result.eval_qat),
          "accuracy": {"examples": int(len(labels)),
                       "float_keras": float_accuracy,
                       "qat_tflite": tflite_accuracy},
          "tflite": vars(converted.summary),
          "validation": vars(converted.agreement),
      }
      artifact_io.write_report(output.uri, report)
      artifact_io.write_json(
          os.path.join(model_run.uri, training_spec.HISTORY_FILE),
          result.history)
      _set_properties(output, report, converted.summary)
    logging.info("QuantizationAwareTrainer wrote %s: accuracy %s", output.uri,
                 report["accuracy"])


def _keras_accuracy(model, inputs, labels) -> float:
  import numpy as np  # pylint: disable=g-import-not-at-top
  predictions = model.predict(inputs, verbose=0, batch_size=256)
  return float(np.mean(np.argmax(predictions, axis=1) == labels))


def _set_properties(artifact, report, summary) -> None:
  artifact.set_string_custom_property(properties.MODEL_FORMAT,
                                      properties.FORMAT_TFLITE)
  artifact.set_string_custom_property(properties.QAT_SCHEME, report["scheme"])
  artifact.set_int_custom_property(properties.SIZE_BYTES, summary.size_bytes)
  artifact.set_int_custom_property(properties.GZIP_SIZE_BYTES,
                                   summary.gzip_size_bytes)
  artifact.set_string_custom_property(properties.INPUT_DTYPES,
                                      json.dumps(summary.input_dtypes))
  artifact.set_string_custom_property(properties.OUTPUT_DTYPES,
                                      json.dumps(summary.output_dtypes))
  artifact.set_float_custom_property(properties.INT8_KERNEL_SPARSITY,
                                     report["int8_kernel_sparsity"])
  artifact.set_float_custom_property(properties.TFLITE_ACCURACY,
                                     report["accuracy"]["qat_tflite"])
  artifact.set_float_custom_property(properties.VALIDATION_ARGMAX_AGREEMENT,
                                     report["validation"]["argmax_agreement"])
