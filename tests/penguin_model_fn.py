"""model_fn for TFX's penguin example Trainer (tfx/examples/penguin).

The example's `_make_keras_model(hparams)` takes keras_tuner hyperparameters,
so a user points the Pruner and QAT at this two-line wrapper that builds the
model with the example's default hyperparameters, as its run_fn does when no
Tuner runs.
"""


def build():
  from tfx.examples.penguin import penguin_utils_keras  # pylint: disable=g-import-not-at-top
  return penguin_utils_keras._make_keras_model(  # pylint: disable=protected-access
      penguin_utils_keras._get_hyperparameters())  # pylint: disable=protected-access
