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
VALIDATION_ARGMAX_AGREEMENT = "validation_argmax_agreement"

# Values of MODEL_FORMAT.
FORMAT_TFLITE = "tflite"
FORMAT_KERAS_SAVED_MODEL = "keras_saved_model"

# Pruner.
GRANULARITY = "granularity"
TARGET_SPARSITY = "target_sparsity"
PRUNED_LAYERS_SPARSITY = "pruned_layers_sparsity"
PRUNED_LAYERS = "pruned_layers"
WEIGHTS_GZIP_BYTES = "weights_gzip_bytes"

# QuantizationAwareTrainer.
QAT_SCHEME = "qat_scheme"
INT8_KERNEL_SPARSITY = "int8_kernel_sparsity"
TFLITE_ACCURACY = "tflite_accuracy"  # top-1 on the validation examples


# CompressionEvaluator (on the blessing, besides the stock Evaluator's keys).
BLESSING_MESSAGE = "blessing_message"
