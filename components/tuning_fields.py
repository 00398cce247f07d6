"""The config fields every fine-tuning component shares, defined once.

PrunerConfig, QatConfig and WeightClustererConfig derive from
`FineTuningFields`; its fields are keyword-only, so each config's own fields
keep their positions. `fine_tuning.config.check_fine_tuning_fields`
validates them.
"""

import dataclasses
from typing import Optional

from tfx_compression.fine_tuning.config import FineTuning
from tfx_compression.fine_tuning.config import LayerSelection


@dataclasses.dataclass(frozen=True, kw_only=True)
class FineTuningFields:
  """Which layers, how to fine-tune, and the user's code.

  Attributes:
    selection: Which layers to compress (prune, cluster or fake-quantize).
    fine_tuning: How to fine-tune (distillation on by default).
    input_fn: Optional user input function, as 'package.module.fn' or, with
      `module_file`, a function name in that file. Called as
      `input_fn(file_pattern, data_accessor, tf_transform_output, batch_size)`
      like the TFX Trainer templates' `_input_fn`; must yield
      (features, label) batches. None: the built-in tf.Example reader.
    module_file: Optional path to a Python file that defines `input_fn`
      and/or `model_fn` (e.g. the Trainer's module file).
    model_fn: Needed when the input model was saved with
      `tf.saved_model.save` (no Keras metadata, as in TFX's examples): the
      function that builds the Trainer's Keras model, as 'package.module.fn'
      or, with `module_file`, a function name in that file; called with no
      arguments. The artifact's variables are restored into its model, which
      must reproduce the saved model on real examples.
    trust_model_code: Rebuild Keras Lambda layers from the artifact (their
      Python bytecode runs in this component). False (default): a model with
      Lambda layers needs `model_fn`. Recorded on the output artifact.
  """

  selection: LayerSelection = LayerSelection()
  fine_tuning: FineTuning = FineTuning()
  input_fn: Optional[str] = None
  module_file: Optional[str] = None
  model_fn: Optional[str] = None
  trust_model_code: bool = False
