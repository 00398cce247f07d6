"""The WeightClusterer's work on plain objects: select, wrap, fine-tune, strip."""

import dataclasses
from typing import Any, Dict, List, Mapping

from tfx_compression.lib import clustering
from tfx_compression.lib import fine_tuning as ft
from tfx_compression.lib import pruning


@dataclasses.dataclass
class ClusterResult:
  stripped_model: Any
  selection: clustering.Selection
  unique_values: Dict[str, int]  # clustered layer -> distinct kernel values
  eval_before: Mapping[str, float]
  eval_after: Mapping[str, float]
  history: Dict[str, List[float]]
  steps: int
  learning_rate: float
  weights_gzip_before: int
  weights_gzip_after: int
  distillation: Any = None  # distillation.Plan
  fit_seconds: float = 0.0


def cluster(model, config, data, log_dir: str) -> ClusterResult:
  """Clusters and fine-tunes `model` (a compiled Keras model, modified in place).

  Args:
    model: The loaded baseline; its layers are wrapped and trained, so it
      must not be used afterwards.
    config: The `WeightClustererConfig`.
    data: A `tfx_compression.fine_tuning.data.TrainingData`.
    log_dir: TensorBoard directory.
  """
  import tf_keras  # pylint: disable=g-import-not-at-top
  from tensorflow_model_optimization.python.core.clustering.keras import cluster_wrapper  # pylint: disable=g-import-not-at-top
  selection = clustering.select_layers(model, config.selection,
                                       config.number_of_clusters)
  tuning = config.fine_tuning
  gzip_before = pruning.weights_gzip_size(model)
  rate = ft.compile_like(model, model, tuning.learning_rate,
                         tuning.learning_rate_scale, tuning.loss)
  eval_before = ft.evaluate(model, data.eval)
  distill = ft.distillation_plan(model, tuning)
  # Before wrapping, which takes the model's layers.
  teacher = ft.teacher_for(model, distill, data.eval)
  wrapped = clustering.wrap_for_clustering(
      model, selection.selected, config.number_of_clusters,
      config.centroid_init)
  if not tuning.train_unselected_layers:
    ft.freeze_unwrapped(wrapped, cluster_wrapper.ClusterWeights)
  trained = ft.trainable(wrapped, teacher, distill)
  ft.compile_like(trained, model, rate, 1.0, tuning.loss)
  fit = ft.fit(trained, data.train, tuning.epochs, data.steps_per_epoch,
               validation_ds=data.eval,
               callbacks=[tf_keras.callbacks.TensorBoard(log_dir)])
  stripped = clustering.strip(wrapped)
  ft.compile_like(stripped, model, rate, 1.0, tuning.loss)
  return ClusterResult(
      stripped_model=stripped, selection=selection,
      unique_values=clustering.kernel_unique_values(stripped,
                                                    selection.selected),
      eval_before=eval_before, eval_after=ft.evaluate(stripped, data.eval),
      history=fit.history, steps=fit.steps, learning_rate=rate,
      weights_gzip_before=gzip_before,
      weights_gzip_after=pruning.weights_gzip_size(stripped),
      distillation=distill, fit_seconds=fit.seconds)
