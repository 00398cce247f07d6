"""Compression libraries: plain functions on Keras models, TFLite bytes and files.

Nothing here knows TFX artifacts; executors translate artifacts to paths.
"""
