"""A ModelBlessing as the stock Evaluator writes it, minus `current_model_id`.

The stock Pusher and `tfx.dsl.Cond` read the marker file and the `blessed`
property (tfx/components/evaluator/constants.py). `current_model_id` is left
out on purpose: TFX's LatestBlessedModelStrategy pairs a Model with a
blessing by it, so a host pipeline's own resolver would take a blessed
compressed candidate (a TFLite file) as its baseline and its stock Evaluator
would fail. `candidate_model_id` names the candidate instead.
"""

import os
from typing import Optional

from tfx_compression.framework import properties

# tfx/components/evaluator/constants.py's keys (a test pins them).
PROP_BLESSED = "blessed"
PROP_CURRENT_MODEL = "current_model"
PROP_BASELINE_MODEL = "baseline_model"
PROP_BASELINE_MODEL_ID = "baseline_model_id"


def write(artifact, blessed: bool, model_uri: str, message: str,
          candidate_model_id: Optional[int] = None) -> None:
  """Writes the marker file and the blessing properties on `artifact`."""
  from tfx.dsl.io import fileio  # pylint: disable=g-import-not-at-top
  fileio.makedirs(artifact.uri)
  name = (properties.VERDICT_BLESSED if blessed else
          properties.VERDICT_NOT_BLESSED)
  with fileio.open(os.path.join(artifact.uri, name), "w") as f:
    f.write("")
  artifact.set_int_custom_property(PROP_BLESSED, 1 if blessed else 0)
  artifact.set_string_custom_property(PROP_CURRENT_MODEL, model_uri)
  if candidate_model_id is not None:
    artifact.set_int_custom_property(properties.CANDIDATE_MODEL_ID,
                                     candidate_model_id)
  artifact.set_string_custom_property(properties.BLESSING_MESSAGE,
                                      message[:1000])
