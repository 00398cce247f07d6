"""Structured channel pruning that physically shrinks a model.

- groups: channel groups of a functional model (channels that go together).
- importance: how important each channel of a group is.
- sensitivity: per-layer ratios from a sensitivity scan.
- surgery: removing channels and rebuilding the model.
"""
