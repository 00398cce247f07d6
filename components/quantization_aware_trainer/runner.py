"""QAT on plain objects: select, annotate, fine-tune, convert to int8 TFLite."""

import dataclasses
from typing import Any, Dict, List, Mapping

import numpy as np

from tfx_compression.errors import CompressionConfigError
from tfx_compression.errors import UnsupportedModelError
from tfx_compression.lib.training import fit_loop
from tfx_compression.lib.conversion import validated_conversion
from tfx_compression.lib.quantization import qat
from tfx_compression.lib.options.conversion import Optimization
from tfx_compression.lib.options.quantization import IoType
from tfx_compression.quantization_aware_trainer.config import BatchNormMode
from tfx_compression.quantization_aware_trainer.config import QatConfig
from tfx_compression.quantization_aware_trainer.config import QatScheme


@dataclasses.dataclass
class QatResult:
  qat_model: Any
  selection: qat.QatSelection
  scheme: QatScheme
  input_sparsity: float
  eval_float: Mapping[str, float]
  eval_qat: Mapping[str, float]
  history: Dict[str, List[float]]
  learning_rate: float
  # The QAT model before fine-tuning (after range calibration, if any).
  eval_qat_start: Mapping[str, float] = dataclasses.field(default_factory=dict)
  ranges: Any = None  # qat_ranges.RangeInit, None without calibration
  frozen_batch_norm: List[str] = dataclasses.field(default_factory=list)
  distillation: Any = None  # distillation.Plan
  fit_seconds: float = 0.0
  replicas: int = 1  # devices fine-tuning ran on in sync (distribution)


def choose_scheme(config: QatConfig, input_sparsity: float,
                  clustered: bool = False) -> QatScheme:
  """The scheme `config` asks for; with 'auto', the one the input needs.

  Raises:
    CompressionConfigError: 'cluster_preserve' for an input that was not
      clustered.
  """
  if config.scheme is QatScheme.CLUSTER_PRESERVE and not clustered:
    raise CompressionConfigError(
        "scheme 'cluster_preserve' needs a clustered input model (a "
        "WeightClusterer's output, with the 'weight_clusters' property); "
        "this input has none. Use scheme 'auto' or 'default_8bit'.")
  if config.scheme is not QatScheme.AUTO:
    return config.scheme
  if clustered:
    return QatScheme.CLUSTER_PRESERVE
  return (QatScheme.PRUNE_PRESERVE if input_sparsity >= config.sparsity_threshold
          else QatScheme.DEFAULT_8BIT)


def train(model, config: QatConfig, data, log_dir: str,
          clustered: bool = False) -> QatResult:
  """Fine-tunes `model` with fake-quantization (modifies `model`'s layers).

  Before fine-tuning: BatchNormalization layers are frozen (config
  `batch_norm`), quantizer ranges are calibrated on training batches
  (`calibrate_ranges`), and with distillation an independent copy of
  `model` is made to teach the QAT model. Under
  `fine_tuning.distribution` all of it runs in the strategy's scope on a
  copy of `model`; the trained weights then go into the same QAT model built
  outside it, which the converter and the SavedModel take.

  Args:
    model: The loaded input model (compiled); not to be reused afterwards.
    config: The QAT configuration.
    data: A `tfx_compression.fine_tuning.data.TrainingData`.
    log_dir: TensorBoard directory.
    clustered: The input was clustered (WeightClusterer): 'auto' picks the
      cluster-preserving scheme.
  """
  import tf_keras  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.quantization import qat_ranges  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.training import distribution  # pylint: disable=g-import-not-at-top
  selection = qat.select_layers(model, config.selection,
                                config.skip_unsupported_layers)
  input_sparsity = qat.kernel_sparsity(model, selection.quantized)
  scheme = choose_scheme(config, input_sparsity, clustered)
  cluster_preserving = scheme is QatScheme.CLUSTER_PRESERVE
  build = lambda m: _qat_model(m, config, selection, cluster_preserving, (
      scheme is QatScheme.PRUNE_PRESERVE or (
          cluster_preserving and input_sparsity >= config.sparsity_threshold)))
  tuning = config.fine_tuning
  with distribution.scope(tuning.distribution) as strategy:
    working = distribution.adopt(model, strategy)
    rate = fit_loop.compile_like(working, model, tuning.learning_rate,
                                 tuning.learning_rate_scale, tuning.loss)
    eval_float = fit_loop.evaluate(working, data.eval)
    distill = fit_loop.distillation_plan(working, tuning)
    # Before quantize_apply, which takes the model's layers.
    teacher = fit_loop.teacher_for(working, distill, data.eval)
    qat_model, frozen = build(working)
    ranges = (qat_ranges.initialize(qat_model,
                                    data.train.take(config.calibration_batches))
              if config.calibrate_ranges else None)
    fit_loop.compile_like(qat_model, model, rate, 1.0, tuning.loss)
    eval_start = fit_loop.evaluate(qat_model, data.eval)
    fit = fit_loop.fit_taught(qat_model, working, teacher, distill, rate,
                              tuning, data,
                              [tf_keras.callbacks.TensorBoard(log_dir)])
  if strategy is not None:
    # The converter and the SavedModel take a model out of any strategy:
    # the same QAT model built from the input model, given the weights.
    trained, (qat_model, _) = qat_model, build(model)
    qat_model.set_weights(trained.get_weights())
    _check_same(trained, qat_model, next(iter(data.eval))[0])
    fit_loop.compile_like(qat_model, model, rate, 1.0, tuning.loss)
  return QatResult(qat_model=qat_model, selection=selection, scheme=scheme,
                   input_sparsity=input_sparsity, eval_float=eval_float,
                   eval_qat=fit_loop.evaluate(qat_model, data.eval),
                   history=fit.history, learning_rate=rate,
                   eval_qat_start=eval_start, ranges=ranges,
                   frozen_batch_norm=frozen, distillation=distill,
                   fit_seconds=fit.seconds,
                   replicas=distribution.replicas(strategy))


def _check_same(trained, copy, features) -> None:
  """Raises unless `copy` computes what `trained` computes on `features`."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  flat = lambda m: [np.asarray(t) for t in tf.nest.flatten(
      m(features, training=False))]
  if not all(np.allclose(a, b, atol=1e-5)
             for a, b in zip(flat(trained), flat(copy))):
    raise UnsupportedModelError(
        "the QAT model trained under fine_tuning.distribution could not be "
        "rebuilt outside the strategy with the same outputs; set "
        "fine_tuning.distribution 'none' for this model")


def _qat_model(model, config: QatConfig, selection, cluster_preserving: bool,
               prune_preserving: bool):
  """`model` quantize-wrapped, with the layers `config` freezes frozen.

  Returns:
    (the QAT model, the names of its frozen BatchNormalization layers).
  """
  from tensorflow_model_optimization.python.core.quantization.keras import quantize_wrapper  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.quantization import qat_ranges  # pylint: disable=g-import-not-at-top
  qat_model = qat.quantize(model, selection, prune_preserving=prune_preserving,
                           cluster_preserving=cluster_preserving)
  if not config.fine_tuning.train_unselected_layers:
    fit_loop.freeze_unwrapped(qat_model, quantize_wrapper.QuantizeWrapper)
  frozen = (qat_ranges.freeze_batch_norm(qat_model)
            if config.batch_norm is BatchNormMode.FREEZE else [])
  return qat_model, frozen


def to_tflite(qat_model, io_type: IoType, inputs, min_argmax_agreement: float):
  """Converts the QAT model to integer TFLite, validated against it."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top

  def set_io(converter):
    if io_type is IoType.INT8:
      converter.inference_input_type = tf.int8
      converter.inference_output_type = tf.int8

  return validated_conversion.convert_validated(
      qat_model, inputs, optimization=Optimization.DYNAMIC_RANGE,
      min_argmax_agreement=min_argmax_agreement, configure=set_io)
