"""Fine-tuning a compressed model.

- fit_loop: the fit loop, compiled the way the Trainer compiled the model.
- distillation: the input model teaches its compressed copy.
"""
