"""The drop-in: compression branches to append to an existing TFX pipeline.

    components += add_compression(example_gen.outputs["examples"],
                                  trainer.outputs["model"],
                                  CompressionPlan(push_destination="/serving"))

Every branch produces a candidate model that a CompressionEvaluator compares
with the baseline. A CandidateSelector compares every candidate and picks the
best blessed one under the plan's objective, and ONE stock Pusher pushes it
(nothing when no candidate is blessed); `pushers="per_variant"` gives each
branch a Pusher of its own instead.
"""

import dataclasses
import enum
import os
from typing import List, Optional, Sequence

from tfx_compression.framework import config_utils
from tfx_compression.errors import CompressionConfigError
from tfx_compression.lib.options.conversion import Optimization
from tfx_compression.lib.options.quantization import QuantizationMode


class Pushers(str, enum.Enum):
  """How blessed candidates are pushed."""

  # A CandidateSelector picks the best blessed candidate; one Pusher pushes
  # it to `push_destination`.
  SELECTED = "selected"
  # One Pusher per candidate, to `push_destination/<variant>`, each when
  # blessed (no selector).
  PER_VARIANT = "per_variant"


@dataclasses.dataclass(frozen=True)
class CompressionPlan:
  """Which compression branches to build.

  Attributes:
    lite_optimizations: One LiteConverter per entry (variant `<value>`).
    ptq_modes: One PostTrainingQuantizer per entry (variant `ptq_<value>`).
    pruner: A `PrunerConfig` for a pruning branch (variant `pruned`, converted
      to float TFLite as `pruned_tflite`); None for none.
    clusterer: A `WeightClustererConfig` for a clustering branch, on the
      pruned model when `pruner` is set (variant `pruned_clustered`, zeros
      kept by default; float TFLite `pruned_clustered_tflite`), else on the
      baseline (`clustered`, `clustered_tflite`); None for none.
    qat: A `QatConfig` for a QAT branch on the last of the baseline, the
      pruned and the clustered model the plan makes: variant `qat`,
      `pruned_qat`, `clustered_qat` or `pruned_clustered_qat` (its scheme
      'auto' then keeps the zeros and the clusters); None for none.
    ptq_config: Template for the PostTrainingQuantizers (its mode is replaced).
    lite_config: Template for the LiteConverters (of `lite_optimizations`,
      whose optimization replaces its own, and of the pruned model, float),
      e.g.
      `LiteConverterConfig(inputs='model')` for a Transform TFLite cannot run.
    evaluator: A `CompressionEvaluatorConfig`; None for its defaults.
    push_destination: Where blessed models are pushed (see `pushers`).
      None: no Pusher.
    pushers: 'selected' (default): a CandidateSelector compares the
      candidates and one stock Pusher pushes the winner to
      `<push_destination>/<version>`; 'per_variant': one Pusher per
      candidate, each blessed candidate pushed to
      `<push_destination>/<variant>/<version>`, and no selector.
    selector: A `CandidateSelectorConfig` (the objective); None for its
      defaults (objective 'smallest': lowest gzip size).
    model_fn: For a Trainer that saves with `tf.saved_model.save` (TFX's
      examples): the function building its Keras model, given to the Pruner
      and QAT configs that set none (see PrunerConfig.model_fn).
    module_file: The file defining `model_fn` (e.g. the Trainer's module),
      given along with it.
    model_fn_kwargs: Keyword arguments `model_fn` is called with (e.g.
      {'hidden_units': [100, 70, 50, 25]} for TFX's taxi example), given
      along with it.
    compare_with_latest_blessed: Also compare every candidate with the
      pipeline's latest blessed model (a Resolver with TFX's
      LatestBlessedModelStrategy; our blessings are never picked, see
      compression_evaluator/executor.py), a second baseline the checks run
      against too. Nothing to compare with on a first run.
    resources: A `resources.ResourcePlan` (container image, CPU, memory and
      accelerators per component) read when compiling for Kubeflow or
      Vertex AI; None for its defaults.
  """

  lite_optimizations: Sequence[Optimization] = (Optimization.NONE,)
  ptq_modes: Sequence[QuantizationMode] = (QuantizationMode.INT8,)
  pruner: Optional[object] = None
  clusterer: Optional[object] = None
  qat: Optional[object] = None
  ptq_config: Optional[object] = None
  lite_config: Optional[object] = None
  evaluator: Optional[object] = None
  push_destination: Optional[str] = None
  pushers: Pushers = Pushers.SELECTED
  selector: Optional[object] = None
  model_fn: Optional[str] = None
  module_file: Optional[str] = None
  model_fn_kwargs: Optional[dict] = None
  compare_with_latest_blessed: bool = False
  resources: Optional[object] = None

  def __post_init__(self):
    set_ = lambda k, v: object.__setattr__(self, k, v)
    set_("lite_optimizations", tuple(dict.fromkeys(
        config_utils.parse_enum(Optimization, o, "lite_optimizations")
        for o in config_utils.check_sequence(self.lite_optimizations,
                                             "lite_optimizations"))))
    set_("ptq_modes", tuple(dict.fromkeys(
        config_utils.parse_enum(QuantizationMode, m, "ptq_modes")
        for m in config_utils.check_sequence(self.ptq_modes, "ptq_modes"))))
    set_("pushers", config_utils.parse_enum(Pushers, self.pushers, "pushers"))
    if self.lite_config is not None:
      from tfx_compression.lite_converter.config import LiteConverterConfig  # pylint: disable=g-import-not-at-top
      if not isinstance(self.lite_config, LiteConverterConfig):
        raise CompressionConfigError(
            "lite_config must be a LiteConverterConfig; got "
            f"{type(self.lite_config).__name__} {self.lite_config!r}")
    if self.selector is not None:
      from tfx_compression.candidate_selector.config import CandidateSelectorConfig  # pylint: disable=g-import-not-at-top
      if not isinstance(self.selector, CandidateSelectorConfig):
        raise CompressionConfigError(
            "selector must be a CandidateSelectorConfig; got "
            f"{type(self.selector).__name__} {self.selector!r}")
      if self.pushers == Pushers.PER_VARIANT:
        raise CompressionConfigError(
            "selector is read only with pushers 'selected'; got pushers "
            "'per_variant'")
    if not (self.lite_optimizations or self.ptq_modes or self.pruner or
            self.clusterer or self.qat):
      raise CompressionConfigError(
          "CompressionPlan builds no branch: set lite_optimizations, "
          "ptq_modes, pruner, clusterer or qat")
    for name in ("push_destination", "model_fn", "module_file"):
      if getattr(self, name) is not None:
        config_utils.check_nonempty_str(getattr(self, name), name)
    if not isinstance(self.compare_with_latest_blessed, bool):
      raise CompressionConfigError(
          "compare_with_latest_blessed must be True or False; got "
          f"{self.compare_with_latest_blessed!r}")
    if (self.module_file is not None and "://" not in self.module_file and
        not os.path.isfile(self.module_file)):
      # A local file must exist now, not 40 s into the run (a bucket path
      # is read by the cluster).
      raise CompressionConfigError(
          f"module_file {self.module_file!r} is not a file (relative to "
          f"{os.getcwd()}); give the path of the module that defines "
          f"model_fn {self.model_fn!r}")
    if self.module_file is not None and not self.model_fn:
      raise CompressionConfigError(
          "module_file needs model_fn, the name of the function in it that "
          f"builds the Keras model; got model_fn={self.model_fn!r}")
    from tfx_compression.fine_tuning.config import check_model_fn_kwargs  # pylint: disable=g-import-not-at-top
    set_("model_fn_kwargs", check_model_fn_kwargs(self.model_fn_kwargs,
                                                  self.model_fn))

  def fine_tuning_config(self, config):
    """`config` (a fine-tuning config) with the plan's model_fn if unset."""
    if config is None or config.model_fn or not self.model_fn:
      return config
    return dataclasses.replace(config, model_fn=self.model_fn,
                               module_file=config.module_file or
                               self.module_file,
                               model_fn_kwargs=self.model_fn_kwargs)

  @classmethod
  def from_dict(cls, values) -> "CompressionPlan":
    """Builds a plan from a JSON/YAML mapping, validated by each config class.

    `pruner`, `clusterer`, `qat`, `ptq_config`, `lite_config` and
    `evaluator` hold the fields of PrunerConfig, WeightClustererConfig,
    QatConfig, PostTrainingQuantizerConfig, LiteConverterConfig and
    CompressionEvaluatorConfig.
    """
    # pylint: disable=g-import-not-at-top
    from tfx_compression.compression_evaluator.config import CompressionEvaluatorConfig
    from tfx_compression.lite_converter.config import LiteConverterConfig
    from tfx_compression.post_training_quantizer.config import PostTrainingQuantizerConfig
    from tfx_compression.candidate_selector.config import CandidateSelectorConfig
    from tfx_compression.pruner.config import PrunerConfig
    from tfx_compression.pipelines.resources import ResourcePlan
    from tfx_compression.quantization_aware_trainer.config import QatConfig
    from tfx_compression.weight_clusterer.config import WeightClustererConfig
    converters = {
        "pruner": PrunerConfig.from_dict,
        "clusterer": WeightClustererConfig.from_dict,
        "qat": QatConfig.from_dict,
        "ptq_config": lambda v: config_utils.from_mapping(
            PostTrainingQuantizerConfig, v, "ptq_config"),
        "lite_config": lambda v: config_utils.from_mapping(
            LiteConverterConfig, v, "lite_config"),
        "evaluator": CompressionEvaluatorConfig.from_dict,
        "resources": ResourcePlan.from_dict,
        "selector": CandidateSelectorConfig.from_dict,
    }
    # Errors name the plan key path (config_utils.at_key), e.g.
    # 'ptq_config.num_calibration_examples must be >= 1; got 0'.
    return config_utils.from_mapping(cls, _ptq_budget(values), "plan",
                                     converters)


# `ptq_config.accuracy_budget: evaluator`: the evaluator's accuracy margin.
EVALUATOR_BUDGET = "evaluator"


def _ptq_budget(values):
  """The plan mapping with `ptq_config.accuracy_budget: evaluator` replaced
  by the smallest absolute `max_drop` of the evaluator's accuracy metrics
  (its task defaults allow 0.02), so the quantizer searches for what the
  evaluator will accept."""
  ptq = values.get("ptq_config") if isinstance(values, dict) else None
  if not isinstance(ptq, dict) or ptq.get("accuracy_budget") != EVALUATOR_BUDGET:
    return values
  from tfx_compression.compression_evaluator import config as evaluator_config  # pylint: disable=g-import-not-at-top
  evaluator = evaluator_config.CompressionEvaluatorConfig.from_dict(
      values.get("evaluator") or {})
  if evaluator.eval_config and not evaluator.metrics:
    raise CompressionConfigError(
        "ptq_config.accuracy_budget 'evaluator' reads evaluator.metrics, not "
        "an eval_config; give ptq_config.accuracy_budget as a number")
  metrics = evaluator.metrics or (evaluator_config.MetricThreshold(),)
  accuracy = [m for m in metrics if "accuracy" in m.name and not m.relative]
  if not accuracy:
    raise CompressionConfigError(
        "ptq_config.accuracy_budget 'evaluator' takes the max_drop of an "
        "accuracy metric of evaluator.metrics; they are "
        f"{[m.class_name for m in metrics]}: give ptq_config.accuracy_budget "
        "as a number")
  return dict(values, ptq_config=dict(
      ptq, accuracy_budget=min(m.max_drop for m in accuracy)))


PREFLIGHT_ID = "Preflight"


def preflight(examples, plan: CompressionPlan):
  """A Preflight checking what `plan` asks of `examples` (see its README).

  Make the Trainer wait for it: `trainer.add_upstream_node(preflight(...))`.
  """
  # pylint: disable=g-import-not-at-top
  from tfx_compression.preflight.component import Preflight
  from tfx_compression.preflight.config import requirements
  return Preflight(examples, requirements(plan)).with_id(PREFLIGHT_ID)


EVALUATOR_ID = "CompressionEvaluator"
PUSHER_ID = "Pusher"
SELECTOR_ID = "CandidateSelector"
# Not plain "Pusher": the host pipeline usually has a stock Pusher of that id.
SELECTED_PUSHER_ID = f"{PUSHER_ID}.selected"
LATEST_BLESSED_ID = "CompressionLatestBlessedBaseline"


def latest_blessed_resolver():
  """A Resolver of the pipeline's latest blessed Model (TFX's strategy)."""
  # pylint: disable=g-import-not-at-top
  from tfx.dsl.components.common.resolver import Resolver
  from tfx.dsl.input_resolution.strategies.latest_blessed_model_strategy import LatestBlessedModelStrategy
  from tfx.types import channel
  from tfx.types import standard_artifacts
  return Resolver(
      strategy_class=LatestBlessedModelStrategy,
      model=channel.Channel(type=standard_artifacts.Model),
      model_blessing=channel.Channel(type=standard_artifacts.ModelBlessing),
  ).with_id(LATEST_BLESSED_ID)


def _candidates(examples, model, plan: CompressionPlan, transform_graph=None,
                schema=None):
  """Yields (variant, component producing it, its model channel)."""
  # pylint: disable=g-import-not-at-top
  from tfx_compression.lite_converter import spec as lite_spec
  from tfx_compression.lite_converter.component import LiteConverter
  from tfx_compression.lite_converter.config import LiteConverterConfig
  from tfx_compression.post_training_quantizer import spec as ptq_spec
  from tfx_compression.post_training_quantizer.component import PostTrainingQuantizer
  from tfx_compression.post_training_quantizer.config import PostTrainingQuantizerConfig
  from tfx_compression.pruner import spec as pruner_spec
  from tfx_compression.quantization_aware_trainer import spec as qat_spec
  lite = plan.lite_config or LiteConverterConfig()
  for optimization in plan.lite_optimizations:
    converter = LiteConverter(
        model=model, examples=examples,
        config=dataclasses.replace(lite, optimization=optimization),
        transform_graph=transform_graph)
    yield optimization.value, converter, converter.outputs[lite_spec.TFLITE_MODEL_KEY]
  template = plan.ptq_config or PostTrainingQuantizerConfig()
  for mode in plan.ptq_modes:
    quantizer = PostTrainingQuantizer(
        model=model, examples=examples,
        config=dataclasses.replace(template, mode=mode),
        transform_graph=transform_graph)
    yield f"ptq_{mode.value}", quantizer, quantizer.outputs[ptq_spec.QUANTIZED_MODEL_KEY]
  qat_input, qat_variant = model, "qat"
  if plan.pruner is not None:
    from tfx_compression.pruner.component import Pruner
    pruner = Pruner(examples=examples, model=model,
                    config=plan.fine_tuning_config(plan.pruner),
                    transform_graph=transform_graph, schema=schema)
    yield "pruned", pruner, None  # evaluated through its TFLite conversion
    pruned_tflite = LiteConverter(model=pruner.outputs[pruner_spec.PRUNED_MODEL_KEY],
                                  examples=examples,
                                  config=dataclasses.replace(
                                      lite, optimization="none"),
                                  transform_graph=transform_graph)
    yield ("pruned_tflite", pruned_tflite,
           pruned_tflite.outputs[lite_spec.TFLITE_MODEL_KEY])
    qat_input, qat_variant = pruner.outputs[pruner_spec.PRUNED_MODEL_KEY], "pruned_qat"
  if plan.clusterer is not None:
    from tfx_compression.weight_clusterer import spec as clusterer_spec
    from tfx_compression.weight_clusterer.component import WeightClusterer
    name = "pruned_clustered" if plan.pruner is not None else "clustered"
    clusterer = WeightClusterer(examples=examples, model=qat_input,
                                config=plan.fine_tuning_config(plan.clusterer),
                                transform_graph=transform_graph, schema=schema)
    yield name, clusterer, None  # evaluated through its TFLite conversion
    clustered = clusterer.outputs[clusterer_spec.CLUSTERED_MODEL_KEY]
    clustered_tflite = LiteConverter(
        model=clustered, examples=examples,
        config=dataclasses.replace(lite, optimization="none"),
        transform_graph=transform_graph)
    yield (f"{name}_tflite", clustered_tflite,
           clustered_tflite.outputs[lite_spec.TFLITE_MODEL_KEY])
    qat_input, qat_variant = clustered, f"{name}_qat"
  if plan.qat is not None:
    from tfx_compression.quantization_aware_trainer.component import QuantizationAwareTrainer
    qat = QuantizationAwareTrainer(examples=examples, model=qat_input,
                                   config=plan.fine_tuning_config(plan.qat),
                                   transform_graph=transform_graph,
                                   schema=schema)
    yield qat_variant, qat, qat.outputs[qat_spec.QAT_MODEL_KEY]


def add_compression(examples, model, plan: CompressionPlan = CompressionPlan(),
                    transform_graph=None, schema=None) -> List:
  """Returns the components that compress, evaluate and push `model`.

  Args:
    examples: The raw Examples channel (ExampleGen's output: what the
      serving signature parses), with train and eval splits.
    model: The baseline Model channel (e.g. `trainer.outputs["model"]`),
      saved by tf_keras `model.save` or by `tf.saved_model.save`.
    plan: Which branches to build, and how they are pushed.
    transform_graph: The pipeline's Transform graph channel, when the Trainer
      trained on transformed features.
    schema: The pipeline's Schema channel (for a user `input_fn`).

  Returns:
    Components to append to the pipeline's list, with ids
    `<Component>.<variant>`: producers, `CompressionEvaluator.<variant>`;
    then with `plan.pushers` 'selected', `CandidateSelector` and, with
    `plan.push_destination`, one `Pusher.selected` of its model and
    blessing; with
    'per_variant', `Pusher.<variant>` after each evaluator.
  """
  # pylint: disable=g-import-not-at-top
  from tfx.components.pusher.component import Pusher
  from tfx.proto import pusher_pb2
  from tfx_compression.candidate_selector import spec as selector_spec
  from tfx_compression.compression_evaluator import spec as evaluator_spec
  from tfx_compression.compression_evaluator.component import CompressionEvaluator
  from tfx_compression.framework import spec_channels
  components, blessed, evaluators = [], None, {}
  push = lambda directory: pusher_pb2.PushDestination(
      filesystem=pusher_pb2.PushDestination.Filesystem(
          base_directory=directory))
  if plan.compare_with_latest_blessed:
    resolver = latest_blessed_resolver()
    components.append(resolver)
    blessed = resolver.outputs[spec_channels.MODEL_KEY]
  for variant, producer, candidate in _candidates(examples, model, plan,
                                                  transform_graph, schema):
    components.append(producer.with_id(f"{type(producer).__name__}.{variant}"))
    if candidate is None:
      continue
    evaluator = CompressionEvaluator(
        examples=examples, model=candidate, baseline_model=model,
        config=plan.evaluator, transform_graph=transform_graph,
        blessed_baseline_model=blessed,
    ).with_id(f"{EVALUATOR_ID}.{variant}")
    components.append(evaluator)
    evaluators[variant] = evaluator
    if plan.push_destination and plan.pushers == Pushers.PER_VARIANT:
      components.append(Pusher(
          model=candidate, model_blessing=evaluator.outputs[evaluator_spec.BLESSING_KEY],
          push_destination=push(os.path.join(plan.push_destination, variant)),
      ).with_id(f"{PUSHER_ID}.{variant}"))
  if plan.pushers == Pushers.SELECTED:
    from tfx_compression.candidate_selector.component import CandidateSelector
    selector = CandidateSelector(evaluators, plan.selector).with_id(
        SELECTOR_ID)
    components.append(selector)
    if plan.push_destination:
      components.append(Pusher(
          model=selector.outputs[selector_spec.MODEL_KEY],
          model_blessing=selector.outputs[selector_spec.BLESSING_KEY],
          push_destination=push(plan.push_destination)).with_id(
              SELECTED_PUSHER_ID))
  return components
