"""The demo Trainer's custom_config: known keys read, others refused by name."""

import pytest

from tfx_compression.errors import CompressionConfigError
from tfx_compression.pipelines import digits_trainer


def test_settings_reads_the_known_keys():
  assert digits_trainer.settings(
      {"epochs": "3", "batch_size": 8, "learning_rate": 0.01}) == (3, 8, 0.01)
  assert digits_trainer.settings({}) == (
      digits_trainer.DEFAULT_EPOCHS, digits_trainer.DEFAULT_BATCH_SIZE,
      digits_trainer.DEFAULT_LEARNING_RATE)


def test_unknown_key_is_refused_by_name():
  # The MobileNetV2 recipe left the package for benchmarks/mobilenet.py: an
  # old pipeline asking the demo Trainer for it must not get a CNN silently.
  with pytest.raises(CompressionConfigError,
                     match=r"\['architecture'\].*allowed: \['epochs', "
                           r"'batch_size', 'learning_rate'\].*mobilenet"):
    digits_trainer.settings({"architecture": "mobilenet_v2"})
  assert digits_trainer.settings({"alpha": 0.5}, ("alpha",))[0] == 12
