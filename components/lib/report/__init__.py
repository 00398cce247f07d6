"""What reports are made of.

- svg_plots: inline SVG plots (matplotlib) for self-contained pages.
- units: sizes and durations as people read them.
"""
