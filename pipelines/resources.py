"""Container image and resources per component kind, for Kubeflow / Vertex AI.

The `resources` section of a plan file:

    resources:
      image: europe-docker.pkg.dev/my-project/ml/tfx-compression:0.1.0
      components:
        Pruner: {cpu: 4, memory_gb: 16, accelerator_type: nvidia.com/gpu,
                 accelerator_count: 1}

Kinds not named keep `DEFAULTS`; within a kind, fields not named keep that
kind's default (`cpu: null` removes a limit). Only compilation for Kubeflow
or Vertex AI reads this section; local runs ignore it.
"""

import dataclasses
import enum
import re
import types
from typing import Any, Dict, Mapping, Optional

from tfx_compression.framework import config_utils
from tfx_compression.errors import CompressionConfigError


class ComponentKind(str, enum.Enum):
  """The components a plan sizes; values are the components' class names."""

  EXAMPLE_GEN = "ExampleGen"  # ImportExampleGen and CsvExampleGen
  PREFLIGHT = "Preflight"
  STATISTICS_GEN = "StatisticsGen"
  SCHEMA_GEN = "SchemaGen"
  TRANSFORM = "Transform"
  TRAINER = "Trainer"
  PRUNER = "Pruner"
  WEIGHT_CLUSTERER = "WeightClusterer"
  QUANTIZATION_AWARE_TRAINER = "QuantizationAwareTrainer"
  POST_TRAINING_QUANTIZER = "PostTrainingQuantizer"
  LITE_CONVERTER = "LiteConverter"
  COMPRESSION_EVALUATOR = "CompressionEvaluator"
  CANDIDATE_SELECTOR = "CandidateSelector"
  PUSHER = "Pusher"


# The base classes that make a component of a kind, where they are not the
# kind's own name (ImportExampleGen and CsvExampleGen are FileBasedExampleGens).
_KIND_CLASS_NAMES = {
    ComponentKind.EXAMPLE_GEN: ("FileBasedExampleGen", "QueryBasedExampleGen")}

# registry (a host with a dot or a port, or localhost) / path [:tag] [@digest]
_IMAGE_REFERENCE = re.compile(
    r"(?:(?:localhost|[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)+)(?::[0-9]+)?"
    r"|[a-zA-Z0-9-]+:[0-9]+)"
    r"(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)+"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?"
    r"(?:@sha256:[0-9a-f]{64})?")


def check_image_reference(image: Any, field: str) -> str:
  """Returns `image` if it is a fully qualified image reference.

  Raises:
    CompressionConfigError: `image` has no registry host (e.g. `name:tag`,
      which a cluster resolves against Docker Hub) or is malformed.
  """
  if not isinstance(image, str) or not _IMAGE_REFERENCE.fullmatch(image):
    raise CompressionConfigError(
        f"{field} must be a fully qualified image reference "
        "(registry/repository[:tag][@sha256:digest], e.g. "
        f"europe-docker.pkg.dev/project/repo/tfx-compression:0.1.0); "
        f"got {image!r}")
  return image


def _positive_or_none(value: Any, field: str) -> Optional[float]:
  if value is None:
    return None
  value = config_utils.check_float(value, field)
  if value <= 0:
    raise CompressionConfigError(f"{field} must be > 0; got {value!r}")
  return value


@dataclasses.dataclass(frozen=True)
class Resources:
  """What one component's container asks for (limits; None: the default).

  Attributes:
    cpu: vCPU limit. Kubeflow: the container's `limits.cpu`; Vertex AI picks
      a machine with at least this many vCPUs.
    memory_gb: Memory limit in GB (Kubeflow: `limits.memory: <n>G`).
    accelerator_type: Kubeflow: the Kubernetes resource name, e.g.
      `nvidia.com/gpu`; Vertex AI: an accelerator type, e.g.
      `NVIDIA_TESLA_T4` or `NVIDIA_L4`. None: no accelerator.
    accelerator_count: Accelerators per container: >= 1 with a type, 0 without.
    image: This kind's image instead of the pipeline's (e.g. one with CUDA
      libraries for GPU fine-tuning); fully qualified.
  """

  cpu: Optional[float] = None
  memory_gb: Optional[float] = None
  accelerator_type: Optional[str] = None
  accelerator_count: int = 0
  image: Optional[str] = None

  def __post_init__(self):
    set_ = lambda k, v: object.__setattr__(self, k, v)
    set_("cpu", _positive_or_none(self.cpu, "cpu"))
    set_("memory_gb", _positive_or_none(self.memory_gb, "memory_gb"))
    config_utils.check_int(self.accelerator_count, "accelerator_count",
                           minimum=0)
    if self.accelerator_type is not None:
      config_utils.check_nonempty_str(self.accelerator_type,
                                      "accelerator_type")
    if (self.accelerator_type is None) != (self.accelerator_count == 0):
      raise CompressionConfigError(
          "accelerator_type and accelerator_count >= 1 go together; got "
          f"accelerator_type={self.accelerator_type!r}, "
          f"accelerator_count={self.accelerator_count!r}")
    if self.image is not None:
      check_image_reference(self.image, "image")


# Sized for a small cluster (e.g. three 4-vCPU, 16 GB nodes). On the demo's
# data every step peaked below 1 GB in the launcher simulation (QAT: 0.93 GB);
# the margin is for larger models and data.
DEFAULTS: Mapping[ComponentKind, Resources] = types.MappingProxyType({
    ComponentKind.EXAMPLE_GEN: Resources(cpu=1, memory_gb=2),
    ComponentKind.PREFLIGHT: Resources(cpu=1, memory_gb=2),
    ComponentKind.STATISTICS_GEN: Resources(cpu=1, memory_gb=2),
    ComponentKind.SCHEMA_GEN: Resources(cpu=1, memory_gb=2),
    ComponentKind.TRANSFORM: Resources(cpu=1, memory_gb=4),
    ComponentKind.TRAINER: Resources(cpu=2, memory_gb=4),
    ComponentKind.PRUNER: Resources(cpu=2, memory_gb=4),
    ComponentKind.WEIGHT_CLUSTERER: Resources(cpu=2, memory_gb=4),
    ComponentKind.QUANTIZATION_AWARE_TRAINER: Resources(cpu=2, memory_gb=4),
    ComponentKind.POST_TRAINING_QUANTIZER: Resources(cpu=1, memory_gb=4),
    ComponentKind.LITE_CONVERTER: Resources(cpu=1, memory_gb=2),
    ComponentKind.COMPRESSION_EVALUATOR: Resources(cpu=1, memory_gb=4),
    ComponentKind.CANDIDATE_SELECTOR: Resources(cpu=1, memory_gb=2),
    ComponentKind.PUSHER: Resources(cpu=1, memory_gb=2),
})


def kind_of(component) -> Optional[ComponentKind]:
  """The kind of a TFX component (by its class or a base class), or None."""
  names = {cls.__name__ for cls in type(component).__mro__}
  for kind in ComponentKind:
    if names.intersection(_KIND_CLASS_NAMES.get(kind, (kind.value,))):
      return kind
  return None


@dataclasses.dataclass(frozen=True)
class ResourcePlan:
  """The pipeline's image and the resources of each component kind.

  Attributes:
    image: The pipeline's container image (fully qualified); None: the
      command line's `--image` must give it.
    components: Kind (or its name) -> Resources; kinds not given get
      `DEFAULTS`.
  """

  image: Optional[str] = None
  components: Mapping[ComponentKind, Resources] = dataclasses.field(
      default_factory=dict)

  def __post_init__(self):
    if self.image is not None:
      check_image_reference(self.image, "resources.image")
    if not isinstance(self.components, Mapping):
      raise CompressionConfigError(
          f"resources.components must be a mapping; got {self.components!r}")
    components = dict(DEFAULTS)
    for key, resources in self.components.items():
      kind = config_utils.parse_enum(ComponentKind, key,
                                     "resources.components key")
      if not isinstance(resources, Resources):
        raise CompressionConfigError(
            f"resources.components[{kind.value!r}] must be a Resources; "
            f"got {resources!r}")
      components[kind] = resources
    object.__setattr__(self, "components", components)

  def for_component(self, component) -> Optional[Resources]:
    """The Resources of `component`'s kind; None for other components."""
    kind = kind_of(component)
    return self.components[kind] if kind else None

  @classmethod
  def from_dict(cls, values: Mapping[str, Any]) -> "ResourcePlan":
    """Builds a plan from a plan file's `resources` mapping (see module doc)."""
    return config_utils.from_mapping(cls, values, "resources", {
        "components": _components_from_dict})


def _components_from_dict(values: Any) -> Dict[ComponentKind, Resources]:
  """Kind name -> field mapping, each merged over that kind's default."""
  if not isinstance(values, Mapping):
    raise CompressionConfigError(
        f"resources.components must be a mapping; got {values!r}")
  components = {}
  for key, fields in values.items():
    kind = config_utils.parse_enum(ComponentKind, key,
                                   "resources.components key")
    field = f"resources.components.{kind.value}"
    if not isinstance(fields, Mapping):
      raise CompressionConfigError(f"{field} must be a mapping; got {fields!r}")
    defaults = dataclasses.asdict(DEFAULTS[kind])
    unknown = sorted(set(fields) - set(defaults))
    if unknown:
      raise CompressionConfigError(
          f"unknown {field} field(s) {unknown}; allowed: {list(defaults)}")
    try:
      components[kind] = Resources(**dict(defaults, **fields))
    except CompressionConfigError as e:
      raise CompressionConfigError(f"{field}: {e}") from e
  return components
