"""Component-level tests: Pruner spec, config validation and round trip."""

import pytest

from tfx_compression import ConstantSparsity
from tfx_compression import FineTuning
from tfx_compression import LayerSelection
from tfx_compression import PolynomialDecay
from tfx_compression import Pruner
from tfx_compression import PrunerConfig
from tfx_compression.errors import CompressionConfigError


def _channels():
  from tfx.types import channel_utils  # pylint: disable=g-import-not-at-top
  from tfx.types import standard_artifacts  # pylint: disable=g-import-not-at-top
  return (channel_utils.as_channel([standard_artifacts.Examples()]),
          channel_utils.as_channel([standard_artifacts.Model()]))


def test_outputs_and_config_property():
  examples, model = _channels()
  config = PrunerConfig(schedule=ConstantSparsity(0.6, frequency=10),
                        selection=LayerSelection(include_types=["Dense"]))
  pruner = Pruner(examples=examples, model=model, config=config)
  assert pruner.outputs["pruned_model"].type_name == "Model"
  assert pruner.outputs["model_run"].type_name == "ModelRun"
  assert PrunerConfig.from_json(pruner.exec_properties["pruner_config"]) == config


def test_default_config_is_polynomial_to_half():
  examples, model = _channels()
  config = PrunerConfig.from_json(
      Pruner(examples=examples, model=model).exec_properties["pruner_config"])
  assert config.schedule == PolynomialDecay(0.0, 0.5)
  assert config.target_sparsity == 0.5


def test_config_must_be_a_pruner_config():
  examples, model = _channels()
  with pytest.raises(CompressionConfigError,
                     match="config must be a PrunerConfig; got dict"):
    Pruner(examples=examples, model=model, config={"granularity": "block"})


@pytest.mark.parametrize("build, message", [
    (lambda: PolynomialDecay(final_sparsity=1.0),
     "schedule.final_sparsity must be in [0, 1); got 1.0"),
    (lambda: ConstantSparsity(target_sparsity=-0.1),
     "schedule.target_sparsity must be in [0, 1); got -0.1"),
    (lambda: PolynomialDecay(0.6, 0.5),
     "schedule.initial_sparsity must be <= schedule.final_sparsity; got 0.6 > 0.5"),
    (lambda: PolynomialDecay(begin_step=100, end_step=100),
     "schedule.begin_step must be < schedule.end_step; got begin_step=100, end_step=100"),
    (lambda: PolynomialDecay(begin_step=0, end_step=150, frequency=100),
     "must be a multiple of schedule.frequency (100)"),
    (lambda: ConstantSparsity(frequency=0), "schedule.frequency must be >= 1; got 0"),
    (lambda: PrunerConfig(granularity="filter"),
     "granularity must be one of 'unstructured', 'block', 'm_by_n', 'channel'; "
     "got 'filter'"),
    (lambda: PrunerConfig(granularity="m_by_n", schedule=PolynomialDecay()),
     "schedule must be None with granularity 'm_by_n'"),
    (lambda: PrunerConfig(granularity="m_by_n", m_by_n=(4, 4)),
     "m_by_n must have m < n"),
    (lambda: PrunerConfig(block_size=(1, 4)),
     "block_size applies to granularity 'block' only"),
    (lambda: PrunerConfig(block_size=(1, 0), granularity="block"),
     "block_size must be >= 1; got 0"),
    (lambda: FineTuning(epochs=0), "fine_tuning.epochs must be >= 1; got 0"),
    (lambda: FineTuning(learning_rate_scale=0),
     "fine_tuning.learning_rate_scale must be > 0; got 0"),
    (lambda: FineTuning(learning_rate=-1e-3),
     "fine_tuning.learning_rate must be > 0; got -0.001"),
    (lambda: LayerSelection(include_names="dense1"),
     "selection.include_names must be a list of strings; got 'dense1'"),
    (lambda: LayerSelection(exclude_regex="("),
     "selection.exclude_regex is not a valid regular expression: '('"),
    (lambda: PrunerConfig(module_file="/tmp/m.py"), "module_file needs input_fn"),
    (lambda: PrunerConfig.from_dict({"sparsity": 0.5}),
     "unknown Pruner config field(s) ['sparsity']"),
    (lambda: PrunerConfig.from_dict({"schedule": {"kind": "cubic"}}),
     "schedule.kind must be one of ['constant', 'polynomial_decay']; got 'cubic'"),
])
def test_bad_config_names_field_value_and_allowed(build, message):
  with pytest.raises(CompressionConfigError) as e:
    build()
  assert message in str(e.value)


def test_config_round_trips_through_json():
  config = PrunerConfig(
      schedule=PolynomialDecay(0.5, 0.8, begin_step=10, end_step=110,
                               frequency=20),
      granularity="block", block_size=(1, 4), block_pooling="MAX",
      selection=LayerSelection(exclude_regex="^head", keep_first_and_last=True),
      fine_tuning=FineTuning(epochs=3, learning_rate=1e-4))
  assert PrunerConfig.from_json(config.to_json()) == config
