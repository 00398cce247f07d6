"""What the fine-tuning components (Pruner, QAT, WeightClusterer) share.

Executor-side modules, TFX-aware; the TFX-free training loop itself is
`tfx_compression.lib.training.fit_loop`.

- `config`: `FineTuning` and `LayerSelection`, the config blocks they accept.
- `data`: training and evaluation datasets read from the input artifacts.
- `spec`: the input/output keys and channels of their ComponentSpecs.
- `io`: checks on the input model, export of the trained one, report entries.
- `executor`: their executors' skeleton (load model and data, fine-tune,
  write report and history), on `tfx_compression.framework.step_executor`.
- `record`: what a run chose (distillation, QAT ranges) as report entries
  and properties.

Nothing is imported here, so importing a config does not import TFX.
"""
