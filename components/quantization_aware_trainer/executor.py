"""QuantizationAwareTrainer executor: artifacts in, int8 TFLite + QAT SavedModel out."""

import json
import os
from typing import Any, Dict, List

from absl import logging
from tfx.dsl.components.base import base_executor

from tfx_compression import artifact_io
from tfx_compression import conversion_input
from tfx_compression import properties
from tfx_compression import tflite_artifact
from tfx_compression.fine_tuning import data as tuning_data
from tfx_compression.fine_tuning import spec as tuning_spec
from tfx_compression.quantization_aware_trainer import spec
from tfx_compression.quantization_aware_trainer.config import QatConfig



class Executor(base_executor.BaseExecutor):
  """Runs QAT on the input Keras model and exports integer TFLite."""

  def Do(self, input_dict: Dict[str, List[Any]],
         output_dict: Dict[str, List[Any]],
         exec_properties: Dict[str, Any]) -> None:
    # pylint: disable=g-import-not-at-top
    from tfx_compression.fine_tuning import io as tuning_io
    from tfx_compression.lib import clustering
    from tfx_compression.lib import keras_io
    from tfx_compression.lib import model_loading
    from tfx_compression.lib import qat
    from tfx_compression.quantization_aware_trainer import runner

    self._log_startup(input_dict, output_dict, exec_properties)
    config = QatConfig.from_json(exec_properties[spec.CONFIG_KEY])
    component = "QuantizationAwareTrainer"
    with tuning_data.fine_tuning_run(input_dict, output_dict,
                                     spec.QAT_MODEL_KEY, component) as run:
      output, model_run = run.output, run.model_run
      loaded = model_loading.load_for_training(
          run.source_dir, component, config.model_fn, config.module_file,
          config.trust_model_code)
      model = loaded.keras_model
      tuning = config.fine_tuning
      data = tuning_data.load(input_dict, tuning, loaded, config.input_fn,
                              config.module_file)
      reproduced = tuning_io.check_input_model(loaded, data)
      sample = tuning_io.labelled_sample(data,
                                         config.num_validation_examples)
      float_accuracy = (sample.accuracy(loaded.function) if sample else None)
      result = runner.train(
          model, config, data, model_run.uri,
          clustered=run.source.has_custom_property(properties.WEIGHT_CLUSTERS))
      prepared = tuning_io.tflite_input(
          loaded, result.qat_model, config.inputs, input_dict, data,
          config.num_validation_examples, component)
      converted = runner.to_tflite(prepared.source.function, config.io_type,
                                   prepared.inputs, config.min_argmax_agreement)
      serving = conversion_input.serving_check(
          prepared, converted.model_bytes, config.min_argmax_agreement)
      tflite_accuracy = (sample.tflite_accuracy(converted.model_bytes,
                                                prepared.source.space)
                         if sample else None)
      tflite_artifact.publish(output, converted, prepared.source.inputs,
                              serving)
      keras_io.save_keras_model(result.qat_model,
                                os.path.join(output.uri, spec.KERAS_QAT_DIR))
      report = dict(
          tflite_artifact.report(converted, prepared.source.inputs, serving),
          **tuning_io.report(loaded, data, reproduced, None,
                             config.trust_model_code),
          source_model=run.source.uri,
          config=config.to_dict(),
          data=data.source,
          scheme=result.scheme.value,
          quantized_layers=result.selection.quantized,
          float_layers=result.selection.float_layers,
          input_kernel_sparsity=result.input_sparsity,
          int8_kernel_sparsity=qat.int8_kernel_sparsity(converted.model_bytes),
          # Distinct int8 values per kernel (per output channel, at most):
          # what cluster-preserving QAT keeps within the input's clusters.
          int8_kernel_unique_values=clustering.tflite_kernel_unique_values(
              converted.model_bytes),
          input_weight_clusters=(
              run.source.get_int_custom_property(properties.WEIGHT_CLUSTERS)
              if run.source.has_custom_property(properties.WEIGHT_CLUSTERS)
              else None),
          learning_rate=result.learning_rate,
          eval_float=dict(result.eval_float),
          eval_qat_keras=dict(result.eval_qat),
          accuracy={"examples": sample.size if sample else 0,
                    "float_keras": float_accuracy,
                    "qat_tflite": tflite_accuracy})
      artifact_io.write_report(output.uri, report)
      artifact_io.write_json(
          os.path.join(model_run.uri, tuning_spec.HISTORY_FILE),
          result.history)
      _set_properties(output, report)
      tuning_io.set_trust_property(output, config.trust_model_code)
    logging.info("QuantizationAwareTrainer wrote %s: accuracy %s", output.uri,
                 report["accuracy"])


def _set_properties(artifact, report) -> None:
  artifact.set_string_custom_property(properties.QAT_SCHEME, report["scheme"])
  artifact.set_float_custom_property(properties.INT8_KERNEL_SPARSITY,
                                     report["int8_kernel_sparsity"])
  if report["accuracy"]["qat_tflite"] is not None:
    artifact.set_float_custom_property(properties.TFLITE_ACCURACY,
                                       report["accuracy"]["qat_tflite"])
