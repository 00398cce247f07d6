"""Process-wide TensorFlow set-up shared by every library that trains or converts."""


from absl import logging


_AUTOGRAPH_RULE_MODULE = "tf_keras"


def skip_autograph_for_keras() -> bool:
  """Stops TF autograph from converting tf_keras internals.

  The first `fit`/`predict` in a process otherwise spends ~12 s converting
  tf_keras' own training loop, which needs no conversion. Uses a private
  TensorFlow list: on any failure it logs and leaves TensorFlow as it was.

  Returns:
    True when the rule is in place.
  """
  try:
    from tensorflow.python.autograph.core import config  # pylint: disable=g-import-not-at-top
    from tensorflow.python.autograph.core import config_lib  # pylint: disable=g-import-not-at-top
    rules = config.CONVERSION_RULES
    if any(isinstance(r, config_lib.DoNotConvert) and
           r.matches(_AUTOGRAPH_RULE_MODULE) for r in rules):
      return True
    config.CONVERSION_RULES = (
        (config_lib.DoNotConvert(_AUTOGRAPH_RULE_MODULE),) + tuple(rules))
    return True
  except Exception as e:  # pylint: disable=broad-except
    logging.warning("Could not exempt tf_keras from autograph: %s", e)
    return False
