"""Weight sparsity and sharing with tfmot.

- pruning: magnitude pruning: selection, wrapping, schedules, statistics.
- pruning_steps: schedules in steps (ramp end, mask update frequency).
- clustering: weight clustering: selection, wrapping, strip, unique values.
"""
