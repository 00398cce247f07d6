"""QuantizationAwareTrainer executor: artifacts in, int8 TFLite + QAT SavedModel out."""

import os

from tfx_compression.lib.conversion import conversion_input
from tfx_compression.framework import properties
from tfx_compression.framework import tflite_artifact
from tfx_compression.fine_tuning import executor as tuning_executor
from tfx_compression.fine_tuning import export as tuning_export
from tfx_compression.fine_tuning import labelled_sample
from tfx_compression.fine_tuning import run_record
from tfx_compression.quantization_aware_trainer import spec
from tfx_compression.quantization_aware_trainer.config import QatConfig


class Executor(tuning_executor.FineTuningExecutor):
  """Runs QAT on the input Keras model and exports integer TFLite."""

  COMPONENT = "QuantizationAwareTrainer"
  CONFIG = QatConfig

  def fine_tune(self, config, run) -> tuning_executor.FineTuned:
    # pylint: disable=g-import-not-at-top
    from tfx_compression.lib.sparsity import clustering
    from tfx_compression.lib.keras import saved_model_io
    from tfx_compression.lib.quantization import qat
    from tfx_compression.quantization_aware_trainer import runner
    loaded, data, output = run.loaded, run.data, run.output
    sample = labelled_sample.labelled_sample(data, config.num_validation_examples)
    float_accuracy = (sample.accuracy(loaded.function) if sample else None)
    clusters = (run.source.get_int_custom_property(properties.WEIGHT_CLUSTERS)
                if run.source.has_custom_property(properties.WEIGHT_CLUSTERS)
                else None)
    result = runner.train(loaded.keras_model, config, data, run.model_run.uri,
                          clustered=clusters is not None)
    prepared = tuning_export.tflite_input(
        loaded, result.qat_model, config.inputs, run.transform_dir, data,
        config.num_validation_examples, self.COMPONENT)
    converted = runner.to_tflite(prepared.source.function, config.io_type,
                                 prepared.inputs, config.min_argmax_agreement)
    serving = conversion_input.serving_check(
        prepared, converted.model_bytes, config.min_argmax_agreement)
    tflite_accuracy = (sample.tflite_accuracy(converted.model_bytes,
                                              prepared.source.space)
                       if sample else None)
    tflite_artifact.publish(output, converted, prepared.source.inputs,
                            serving)
    saved_model_io.save_keras_model(result.qat_model,
                              os.path.join(output.uri, spec.KERAS_QAT_DIR))
    report = dict(
        tflite_artifact.report(converted, prepared.source.inputs, serving),
        **run.model_report(None),
        **tuning_executor.report_head(config, run),
        scheme=result.scheme.value,
        quantized_layers=result.selection.quantized,
        float_layers=result.selection.float_layers,
        input_kernel_sparsity=result.input_sparsity,
        int8_kernel_sparsity=qat.int8_kernel_sparsity(converted.model_bytes),
        # Distinct int8 values per kernel (per output channel, at most):
        # what cluster-preserving QAT keeps within the input's clusters.
        int8_kernel_unique_values=clustering.tflite_kernel_unique_values(
            converted.model_bytes),
        input_weight_clusters=clusters,
        learning_rate=result.learning_rate,
        eval_float=dict(result.eval_float),
        eval_qat_keras=dict(result.eval_qat),
        accuracy={"examples": sample.size if sample else 0,
                  "metric": sample.metric if sample else None,
                  "float_keras": float_accuracy,
                  "qat_tflite": tflite_accuracy},
        **run_record.report_entries(result))
    _set_properties(output, report)
    run_record.set_properties(output, result)
    run_record.set_trust_property(output, config.trust_model_code)
    return tuning_executor.FineTuned(report, result.history,
                                     f"accuracy {report['accuracy']}")


def _set_properties(artifact, report) -> None:
  artifact.set_string_custom_property(properties.QAT_SCHEME, report["scheme"])
  artifact.set_float_custom_property(properties.INT8_KERNEL_SPARSITY,
                                     report["int8_kernel_sparsity"])
  if (report["accuracy"]["qat_tflite"] is not None and
      report["accuracy"]["metric"] == "accuracy"):
    artifact.set_float_custom_property(properties.TFLITE_ACCURACY,
                                       report["accuracy"]["qat_tflite"])
