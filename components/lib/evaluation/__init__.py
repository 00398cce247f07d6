"""Judging a model: its task and TFMA.

- task: the task a model solves (multiclass, binary, regression) and what
  follows for checks and metrics.
- tfma_eval: candidate-versus-baselines evaluation with TFMA.
"""
