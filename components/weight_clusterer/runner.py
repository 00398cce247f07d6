"""The WeightClusterer's work on plain objects: select, wrap, fine-tune, strip."""

import dataclasses
from typing import Any, Dict, List, Mapping

from tfx_compression.lib.sparsity import clustering
from tfx_compression.lib.training import fit_loop


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
  replicas: int = 1  # devices fine-tuning ran on in sync (distribution)
  preserve_sparsity: bool = False
  # Share of zeros in the selected kernels before and after.
  input_sparsity: float = 0.0
  output_sparsity: float = 0.0


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
  from tfx_compression.lib.quantization import qat  # pylint: disable=g-import-not-at-top
  from tfx_compression.weight_clusterer.config import SPARSE_INPUT  # pylint: disable=g-import-not-at-top
  selection = clustering.select_layers(model, config.selection,
                                       config.number_of_clusters)
  input_sparsity = qat.kernel_sparsity(model, selection.selected)
  preserve = (input_sparsity >= SPARSE_INPUT
              if config.preserve_sparsity is None
              else config.preserve_sparsity)
  run = fit_loop.wrap_and_fine_tune(
      model, config.fine_tuning, data,
      lambda m: clustering.wrap_for_clustering(
          m, selection.selected, config.number_of_clusters,
          config.centroid_init, preserve),
      cluster_wrapper.ClusterWeights, clustering.strip,
      callbacks=[tf_keras.callbacks.TensorBoard(log_dir)])
  return ClusterResult(
      stripped_model=run.stripped, selection=selection,
      unique_values=clustering.kernel_unique_values(run.stripped,
                                                    selection.selected),
      eval_before=run.eval_before, eval_after=run.eval_after,
      history=run.fit.history, steps=run.fit.steps,
      learning_rate=run.learning_rate,
      weights_gzip_before=run.weights_gzip_before,
      weights_gzip_after=run.weights_gzip_after,
      distillation=run.distillation, fit_seconds=run.fit.seconds,
      replicas=run.replicas, preserve_sparsity=preserve,
      input_sparsity=input_sparsity,
      output_sparsity=qat.kernel_sparsity(run.stripped, selection.selected))
