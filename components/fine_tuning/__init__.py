"""What the fine-tuning components (Pruner, QAT, WeightClusterer) share.

Executor-side modules, TFX-aware; the TFX-free training loop itself is
`tfx_compression.lib.training.fit_loop`.

- `config`: `FineTuning` and `LayerSelection`, the config blocks they accept.
- `data`: training and evaluation datasets read from the input artifacts.
- `spec`: the input/output keys and channels of their ComponentSpecs.
- `executor`: their executors' skeleton (load model and data, check a
  rebuilt input model, fine-tune, write report and history), on
  `tfx_compression.framework.step_executor`.
- `export`: the trained model as a SavedModel under the source's signatures,
  or as the input of its TFLite conversion (QAT).
- `labelled_sample`: eval records with labels, for quality before and after.
- `run_record`: what a run did (input model, export, distillation, QAT
  ranges) as report entries and properties.

Nothing is imported here, so importing a config does not import TFX.
"""
