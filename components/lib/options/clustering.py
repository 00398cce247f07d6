"""Closed sets of weight-clustering options (no heavy imports: configs use them)."""

import enum


class CentroidInit(str, enum.Enum):
  """tfmot's CentroidInitialization, by lowercase name."""

  KMEANS_PLUS_PLUS = "kmeans_plus_plus"
  LINEAR = "linear"
  DENSITY_BASED = "density_based"
  RANDOM = "random"
