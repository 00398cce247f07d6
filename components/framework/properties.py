"""Custom property names that executors set on output artifacts (one place)."""

SIZE_BYTES = "size_bytes"
GZIP_SIZE_BYTES = "gzip_size_bytes"
OPTIMIZATION = "optimization"
TENSOR_DTYPE_COUNTS = "tensor_dtype_counts"
INPUT_DTYPES = "input_dtypes"
OUTPUT_DTYPES = "output_dtypes"
MODEL_FORMAT = "model_format"
VALIDATION_EXAMPLES = "validation_examples"
VALIDATION_MAX_ABS_DIFF = "validation_max_abs_diff"
# Share of validation examples whose decision matches (argmax; a binary
# score against 0.5), and a regression output's relative error (lib/evaluation/task.py).
VALIDATION_ARGMAX_AGREEMENT = "validation_argmax_agreement"
VALIDATION_RELATIVE_ERROR = "validation_relative_error"
# TFLite models: 'serving' (raw serving features, Transform folded in) or
# 'model' (the model's own inputs; the device must preprocess).
TFLITE_INPUTS = "tflite_inputs"
# Agreement with the source's serving_default on the same serialized records.
SERVING_ARGMAX_AGREEMENT = "serving_argmax_agreement"
SERVING_MAX_ABS_DIFF = "serving_max_abs_diff"

# The task the model solves ('multiclass', 'binary', 'regression'; see
# lib/evaluation/task.py): on fine-tuned models and on evaluations.
TASK = "task"

# TFLite models: JSON list of the TensorFlow ops run through the Flex
# delegate (select TF ops; absent: builtins only), and 1 when the inputs'
# batch dimension is fixed (recurrent layers converted at batch 1).
FLEX_OPS = "flex_ops"
FIXED_BATCH = "fixed_batch"

# A candidate that was produced but failed its own validation (or whose
# input was such a candidate): 1, and the reason. Published so that the
# other branches run on; its evaluation is NOT_BLESSED (step_executor.py).
REJECTED = "rejected"
REJECTION_REASON = "rejection_reason"

# Values of MODEL_FORMAT.
FORMAT_TFLITE = "tflite"
FORMAT_KERAS_SAVED_MODEL = "keras_saved_model"
FORMAT_TFLITE_MICRO = "tflite_micro"  # MicroExporter: C sources
FORMAT_COREML = "coreml_mlprogram"  # CoreMLConverter: an .mlpackage

# CoreMLConverter.
COREML_WEIGHT_BYTES = "coreml_weight_bytes"  # weights/weight.bin
COREML_PRECISION = "coreml_precision"
COREML_WEIGHT_QUANTIZATION = "coreml_weight_quantization"

# MicroExporter: the measured arena peak and the recommended arena size.
ARENA_PEAK_BYTES = "arena_peak_bytes"
TENSOR_ARENA_BYTES = "tensor_arena_bytes"

# Pruner, QAT: 1 when trust_model_code let Lambda layers of the input run.
TRUSTED_MODEL_CODE = "trusted_model_code"
# Pruner and QuantizationAwareTrainer (fine_tuning/run_record.py): JSON of the
# distillation plan: enabled, alpha, temperature, outputs, teacher, reason.
DISTILLATION = "distillation"

# Pruner.
GRANULARITY = "granularity"
TARGET_SPARSITY = "target_sparsity"
PRUNED_LAYERS_SPARSITY = "pruned_layers_sparsity"
PRUNED_LAYERS = "pruned_layers"
# 'xnnpack' when pruned for XNNPACK's sparse inference (config `policy`):
# LiteConverter's sparse_encoding 'auto' then keeps the weights sparse.
PRUNING_POLICY = "pruning_policy"
# 'uniform' or 'global_magnitude' (config `allocation`), and the measured
# sparsity of each pruned layer (JSON: layer -> share of zeros).
ALLOCATION = "allocation"
LAYER_SPARSITY = "layer_sparsity"
# LiteConverter: 1 when zero weights were stored sparse (sparse_encoding).
SPARSE_ENCODING = "sparse_encoding"
WEIGHTS_GZIP_BYTES = "weights_gzip_bytes"
# Pruner, granularity 'channel'.
PARAMS_RATIO = "params_ratio"  # params after / before
FLOPS_RATIO = "flops_ratio"  # FLOPs after / before
LATENCY_SPEEDUP = "float_tflite_speedup"  # latency before / after, 1 thread

# WeightClusterer: the number of clusters of the clustered kernels (read by
# the QuantizationAwareTrainer to preserve them) and those layers (JSON).
WEIGHT_CLUSTERS = "weight_clusters"
CLUSTERED_LAYERS = "clustered_layers"

# PostTrainingQuantizer.
QUANTIZATION_MODE = "quantization_mode"
FLOAT_SIZE_BYTES = "float_size_bytes"  # The same model converted as float32.
SIZE_RATIO = "size_ratio"  # float_size_bytes / size_bytes.
CALIBRATION_EXAMPLES = "calibration_examples"  # Examples calibrated on.
FLOAT_NODES = "float_nodes"  # JSON list of tensors kept float.
RELATIVE_OUTPUT_ERROR = "relative_output_error"
QUANTIZATION_BACKEND = "quantization_backend"  # 'tflite' or 'ai_edge_quantizer'
# The accuracy-budget search: 1 met, 0 missed (the closest was kept), and
# the drop of the task metric it measured, in the budget's unit.
ACCURACY_BUDGET_MET = "accuracy_budget_met"
SEARCH_METRIC_DROP = "search_metric_drop"
# On the calibration_examples output.
POPULATION_EXAMPLES = "population_examples"  # Examples the sample came from.
SAMPLING_STRATEGY = "sampling_strategy"
SAMPLING_SEED = "sampling_seed"

# QuantizationAwareTrainer.
QAT_SCHEME = "qat_scheme"
INT8_KERNEL_SPARSITY = "int8_kernel_sparsity"
TFLITE_ACCURACY = "tflite_accuracy"  # top-1 on the validation examples
# How the fake-quant ranges started: calibrated on training batches, or
# tfmot's [-6, 6].
QAT_RANGE_INIT = "qat_range_init"
RANGES_CALIBRATED = "calibrated"
RANGES_TFMOT_DEFAULT = "tfmot_default"

# CompressionEvaluator, on the evaluation (one set of names for every
# candidate): the verdict, `metric_<name>` (the candidate's overall value)
# and `metric_<name>_diff` (minus the baseline's), and the candidate's
# size_bytes, gzip_size_bytes, latency_median_us, peak_memory_bytes.
EVAL_VERDICT = "verdict"
# A verdict: EVAL_VERDICT's values, report.json's and comparison.json's
# `verdict`, and the ModelBlessing's marker file as the stock Evaluator
# writes it (tfx/components/evaluator/constants.py; a test pins them).
VERDICT_BLESSED = "BLESSED"
VERDICT_NOT_BLESSED = "NOT_BLESSED"
EVAL_METRIC_PREFIX = "metric_"
EVAL_DIFF_SUFFIX = "_diff"
# The change's 95 % paired bootstrap interval (compression_evaluator/
# uncertainty.py), against the pipeline's baseline.
EVAL_DIFF_LOW_SUFFIX = "_diff_low"
EVAL_DIFF_HIGH_SUFFIX = "_diff_high"
LATENCY_MEDIAN_US = "latency_median_us"
PEAK_MEMORY_BYTES = "peak_memory_bytes"

# CompressionEvaluator (on the blessing, besides the stock Evaluator's keys).
BLESSING_MESSAGE = "blessing_message"
# The blessed candidate's artifact id (the stock `current_model_id` is left
# out on purpose: see compression_evaluator/executor.py).
CANDIDATE_MODEL_ID = "candidate_model_id"
