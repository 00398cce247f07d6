"""Closed sets of options the configs name (no heavy imports: configs import
only this area).

- conversion: Optimization, OpSet, TfliteInputs (how a model is converted).
- quantization: QuantizationMode, IoType, SamplingStrategy (PTQ and calibration).
- clustering: CentroidInit (weight clustering).
- coreml: Core ML targets and precisions.
"""
