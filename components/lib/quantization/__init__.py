"""Quantization: post-training (PTQ) and quantization-aware training (QAT).

- ptq_convert: converter settings per QuantizationMode, calibration feeding.
- ptq: quantize, report per-layer error, keep layers float, validate.
- layer_errors: per-layer int8 error (QuantizationDebugger) and float layers.
- calibration_sampling: the calibration sample, drawn with Apache Beam.
- qat: tfmot QAT: annotation, schemes, sparsity.
- qat_ranges: quantizer ranges calibrated on real data before QAT.
"""
