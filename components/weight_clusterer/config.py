"""WeightClusterer configuration: validated on construction, one JSON property."""

import dataclasses
from typing import Optional

from tfx_compression.framework import config_utils
from tfx_compression.errors import CompressionConfigError
from tfx_compression.fine_tuning import config as tuning_config
from tfx_compression.lib.options.clustering import CentroidInit
from tfx_compression.fine_tuning.config import FineTuningFields
from tfx_compression.fine_tuning.config import FineTuning  # pylint: disable=unused-import  (re-exported: a public name here)
from tfx_compression.fine_tuning.config import LayerSelection  # pylint: disable=unused-import  (re-exported: a public name here)

# The component's one exec property (its spec's parameter).
CONFIG_KEY = "clusterer_config"
# int8 kernels hold at most 256 values: more clusters cannot survive QAT.
MAX_CLUSTERS = 256
# preserve_sparsity None: kept when the selected kernels are this share of
# zeros (a Pruner's output), as the QAT's scheme 'auto' decides.
SPARSE_INPUT = 0.3


@dataclasses.dataclass(frozen=True)
class WeightClustererConfig(FineTuningFields, config_utils.JsonConfig,
                            key=CONFIG_KEY, label="WeightClusterer config"):
  """How the WeightClusterer clusters and fine-tunes.

  Attributes:
    number_of_clusters: Distinct values each selected kernel keeps, 2 to 256.
    centroid_init: tfmot's centroid initialisation: 'kmeans_plus_plus',
      'linear', 'density_based' or 'random'.
    preserve_sparsity: Keep zero weights zero (tfmot's sparsity-preserving
      clustering, for a pruned input); None (default): when the selected
      kernels are at least `SPARSE_INPUT` zeros.
    selection: Which layers to cluster (the Pruner's `LayerSelection`).
    fine_tuning, input_fn, module_file, model_fn, trust_model_code: see
      `fine_tuning.config.FineTuningFields` (keyword-only).
  """

  number_of_clusters: int = 16
  centroid_init: CentroidInit = CentroidInit.KMEANS_PLUS_PLUS
  preserve_sparsity: Optional[bool] = None

  def __post_init__(self):
    if self.preserve_sparsity not in (None, True, False):
      raise CompressionConfigError(
          "preserve_sparsity must be true, false or null (auto: when the "
          f"input is at least {SPARSE_INPUT} zeros); got "
          f"{self.preserve_sparsity!r}")
    config_utils.check_int(self.number_of_clusters, "number_of_clusters",
                           minimum=2, maximum=MAX_CLUSTERS)
    config_utils.parse_enum_fields(self)
    self.check_fine_tuning_fields()

  @classmethod
  def field_converters(cls):
    return tuning_config.NESTED_CONVERTERS
