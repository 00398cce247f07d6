"""The component framework every component shares (as TFX's
`components/util/`): how an executor runs, reads and writes artifacts, and
names what it records.

- step_executor: the executor skeleton (config, artifacts, fail-soft
  candidates, cleanup on failure).
- error_boundary: library errors as ours, naming the component and artifact.
- spec_channels: channel keys and ComponentSpec building blocks.
- config_utils: the config contract (one versioned JSON exec property) and
  validators.
- artifact_io: artifact layouts and file I/O through TFX's filesystem.
- model_files: a Model artifact's layout and bytes by path, without TFX (for
  runners and libraries).
- conversion_artifacts: artifacts -> what a converting executor converts.
- tflite_artifact: one way to publish a TFLite Model.
- blessing: one way to write a ModelBlessing.
- properties: artifact property names and verdicts.
- user_code: the user's functions (`model_fn`, `input_fn`) by name.
"""
