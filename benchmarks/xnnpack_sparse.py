"""Does an 80%-sparse MobileNetV2 run faster on XNNPACK's sparse path here?
(issue #27, "sparsity that runs faster"), measured side by side in one run.

The model: MobileNetV2-0.35 with the layer names and weight shapes of
`tf_keras.applications.MobileNetV2`, but the structure tfmot's
`PruneForLatencyOnXNNPack` and XNNPACK's sparse (NCHW) rewrite accept:
every stride-2 3x3 convolution is ZeroPadding2D((1, 1), (1, 1)) + 'valid'
(stock Keras pads Conv1 'same' and the stride-2 depthwise convolutions
((0, 1), (0, 1)) at even sizes; both refuse), and the pooling keeps its
dimensions. Its 1x1 convolutions are pruned to 80 % with the policy,
converted with EXPERIMENTAL_SPARSITY (sparse weights + DENSIFY: what makes
the XNNPACK delegate ask for sparse inference), and timed against the same
architecture dense, 1 thread, LiteRT with XNNPACK, in interleaved rounds.

    uv run python benchmarks/xnnpack_sparse.py [--size 96] [--quick]

Writes results/xnnpack_sparse.md and .json (not with --quick).
"""

import argparse
import json
import os
import platform
import statistics
import time

# The package sets TF_USE_LEGACY_KERAS=1 before TensorFlow loads.
import tfx_compression  # pylint: disable=unused-import

import numpy as np  # pylint: disable=g-import-not-at-top

HERE = os.path.dirname(os.path.abspath(__file__))
SPARSITY, TARGET_SPEEDUP = 0.8, 1.3
# (expansion, stride, filters) of MobileNetV2's 17 inverted residual blocks.
_BLOCKS = ((1, 1, 16), (6, 2, 24), (6, 1, 24), (6, 2, 32), (6, 1, 32),
           (6, 1, 32), (6, 2, 64), (6, 1, 64), (6, 1, 64), (6, 1, 64),
           (6, 1, 96), (6, 1, 96), (6, 1, 96), (6, 2, 160), (6, 1, 160),
           (6, 1, 160), (6, 1, 320))


def _divisible(value, divisor=8):
  new = max(divisor, int(value + divisor / 2) // divisor * divisor)
  return new + divisor if new < 0.9 * value else new


def mobilenet_v2_xnnpack(size: int, alpha: float = 0.35, classes: int = 10):
  """MobileNetV2 in the structure XNNPACK's sparse inference takes."""
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  layers = keras.layers
  bn = lambda name: layers.BatchNormalization(epsilon=1e-3, momentum=0.999,
                                              name=name)
  image = keras.Input((size, size, 3), name="image")
  x = layers.ZeroPadding2D(((1, 1), (1, 1)), name="Conv1_pad")(image)
  x = layers.Conv2D(_divisible(32 * alpha), 3, strides=2, padding="valid",
                    use_bias=False, name="Conv1")(x)
  x = layers.ReLU(6.0, name="Conv1_relu")(bn("bn_Conv1")(x))
  for index, (expansion, stride, filters) in enumerate(_BLOCKS):
    inputs, channels = x, x.shape[-1]
    out = _divisible(int(filters * alpha))
    prefix = f"block_{index}_" if index else "expanded_conv_"
    if index:
      x = layers.Conv2D(expansion * channels, 1, use_bias=False,
                        name=prefix + "expand")(x)
      x = layers.ReLU(6.0, name=prefix + "expand_relu")(
          bn(prefix + "expand_BN")(x))
    if stride == 2:
      x = layers.ZeroPadding2D(((1, 1), (1, 1)), name=prefix + "pad")(x)
    x = layers.DepthwiseConv2D(3, strides=stride, use_bias=False,
                               padding="same" if stride == 1 else "valid",
                               name=prefix + "depthwise")(x)
    x = layers.ReLU(6.0, name=prefix + "depthwise_relu")(
        bn(prefix + "depthwise_BN")(x))
    x = bn(prefix + "project_BN")(layers.Conv2D(
        out, 1, use_bias=False, name=prefix + "project")(x))
    if channels == out and stride == 1:
      x = layers.Add(name=prefix + "add")([inputs, x])
  x = layers.Conv2D(1280, 1, use_bias=False, name="Conv_1")(x)
  x = layers.ReLU(6.0, name="out_relu")(bn("Conv_1_bn")(x))
  x = layers.Flatten()(layers.GlobalAveragePooling2D(keepdims=True)(x))
  return keras.Model(image, layers.Dense(classes, activation="softmax",
                                         name="probabilities")(x))


def prune_for_xnnpack(model, steps: int = 2):
  """`model`'s 1x1 convolutions pruned to SPARSITY by tfmot's policy (a few
  steps on noise: the point is the structure, not the accuracy)."""
  # pylint: disable=g-import-not-at-top
  import tensorflow_model_optimization as tfmot
  import tf_keras as keras
  # pylint: enable=g-import-not-at-top
  sparsity = tfmot.sparsity.keras
  pruned = sparsity.prune_low_magnitude(
      model, pruning_schedule=sparsity.ConstantSparsity(SPARSITY, 0, frequency=1),
      pruning_policy=sparsity.PruneForLatencyOnXNNPack())
  pruned.compile(keras.optimizers.SGD(1e-4), "sparse_categorical_crossentropy")
  rng = np.random.default_rng(0)
  shape = (4 * steps,) + tuple(model.input_shape[1:])
  pruned.fit(rng.uniform(-1, 1, shape).astype(np.float32),
             rng.integers(0, 10, shape[0]), batch_size=4, epochs=1, verbose=0,
             callbacks=[sparsity.UpdatePruningStep()])
  return sparsity.strip_pruning(pruned)


def one_by_one_sparsity(model) -> float:
  kernels = [l.kernel.numpy() for l in model.layers
             if type(l).__name__ == "Conv2D" and l.kernel_size == (1, 1)]
  return float(sum((k == 0).sum() for k in kernels) /
               sum(k.size for k in kernels))


def convert(model, sparse: bool) -> bytes:
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  converter = tf.lite.TFLiteConverter.from_keras_model(model)
  if sparse:
    converter.optimizations = [tf.lite.Optimize.EXPERIMENTAL_SPARSITY]
  return converter.convert()


def encoding(model_bytes: bytes) -> dict:
  """Sparse-encoded weight tensors and DENSIFY ops in the flatbuffer."""
  from tensorflow.lite.python import schema_py_generated as schema  # pylint: disable=g-import-not-at-top
  model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(model_bytes, 0))
  densify = schema.BuiltinOperator.DENSIFY
  codes = [max(c.builtinCode, c.deprecatedBuiltinCode)
           for c in model.operatorCodes]
  graph = model.subgraphs[0]
  return {"sparse_tensors": sum(t.sparsity is not None for t in graph.tensors),
          "densify_ops": sum(codes[op.opcodeIndex] == densify
                             for op in graph.operators),
          "bytes": len(model_bytes)}


def host() -> dict:
  """The CPU, and whether XNNPACK may take its sparse path on it: XNNPACK's
  `xnn_is_chw_compatible_config` refuses x86 with AVX (its x86 sparse
  kernels are SSE only; dense AVX is expected to be faster)."""
  try:
    flags = open("/proc/cpuinfo").read().split()
  except OSError:
    flags = []
  machine = platform.machine().lower()
  x86 = machine in ("x86_64", "amd64", "i386", "i686")
  return {"machine": machine, "avx": "avx" in flags,
          "sparse_path_possible": not (x86 and "avx" in flags)}


def interleaved_latency_us(models: dict, rounds: int, runs: int) -> dict:
  """Median invoke time per model, 1 thread, LiteRT + XNNPACK, in rounds
  that rotate which model goes first."""
  from tfx_compression.lib.tflite import runtime  # pylint: disable=g-import-not-at-top
  interps, samples = {}, {name: [] for name in models}
  for name, data in models.items():
    interp = runtime.interpreter(data, num_threads=1)
    interp.allocate_tensors()
    detail = interp.get_input_details()[0]
    interp.set_tensor(detail["index"], np.random.default_rng(0).uniform(
        -1, 1, detail["shape"]).astype(np.float32))
    for _ in range(10):
      interp.invoke()
    interps[name] = interp
  names = list(models)
  for r in range(rounds):
    for name in names[r % len(names):] + names[:r % len(names)]:
      for _ in range(runs):
        start = time.perf_counter_ns()
        interps[name].invoke()
        samples[name].append((time.perf_counter_ns() - start) / 1000.0)
  return {name: statistics.median(s) for name, s in samples.items()}


def run(size: int, rounds: int, runs: int) -> dict:
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  keras.utils.set_random_seed(0)
  dense, source = mobilenet_v2_xnnpack(size), mobilenet_v2_xnnpack(size)
  source.set_weights(dense.get_weights())
  sparse_model = prune_for_xnnpack(source)
  models = {"dense": convert(dense, sparse=False),
            "80% sparse 1x1 (EXPERIMENTAL_SPARSITY)": convert(sparse_model,
                                                              sparse=True)}
  latency = interleaved_latency_us(models, rounds, runs)
  speedup = latency["dense"] / latency[
      "80% sparse 1x1 (EXPERIMENTAL_SPARSITY)"]
  machine = host()
  return {"size": size, "host": machine, "rounds": rounds,
          "runs_per_round": runs,
          "one_by_one_sparsity": round(one_by_one_sparsity(sparse_model), 4),
          "models": {name: dict(encoding(data),
                                median_us=round(latency[name], 1))
                     for name, data in models.items()},
          "speedup": round(speedup, 3),
          "target": {"target": f"80%-sparse float >= {TARGET_SPEEDUP}x faster "
                               "than dense (1 thread, LiteRT, XNNPACK)",
                     "measured": f"{speedup:.2f}x", "met":
                     speedup >= TARGET_SPEEDUP}}


def table(result: dict) -> str:
  machine = result["host"]
  lines = [f"MobileNetV2-0.35 at {result['size']}x{result['size']}, 1x1 "
           f"convolutions {result['one_by_one_sparsity']:.1%} zeros "
           "(tfmot `PruneForLatencyOnXNNPack`), 1 thread, LiteRT with "
           f"XNNPACK, median of {result['rounds']} interleaved rounds x "
           f"{result['runs_per_round']} invokes. Host: {machine['machine']}, "
           f"AVX {'yes' if machine['avx'] else 'no'}.", "",
           "| model | bytes | sparse weight tensors | DENSIFY ops | median µs |",
           "|---|---|---|---|---|"]
  for name, m in result["models"].items():
    lines.append(f"| {name} | {m['bytes']:,} | {m['sparse_tensors']} | "
                 f"{m['densify_ops']} | {m['median_us']:,} |")
  target = result["target"]
  reason = ("" if machine["sparse_path_possible"] else
            ": XNNPACK does not take its sparse path on x86 with AVX "
            "(`xnn_is_chw_compatible_config`): the delegate asks for it "
            "(the DENSIFY outputs set XNN_FLAG_HINT_SPARSE_INFERENCE) and "
            "XNNPACK runs the graph dense.")
  lines += ["", "| target | measured | |", "|---|---|---|",
            f"| {target['target']} | {target['measured']} | "
            f"{'met' if target['met'] else 'missed'}{reason} |"]
  return "\n".join(lines)


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--size", type=int, default=96)
  parser.add_argument("--quick", action="store_true")
  parser.add_argument("--out", default=os.path.join(HERE, "results"))
  args = parser.parse_args(argv)
  result = (run(32, 2, 5) if args.quick else run(args.size, 10, 50))
  text = table(result)
  print(text)
  if not args.quick:
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "xnnpack_sparse.md"), "w") as f:
      f.write(text + "\n")
    with open(os.path.join(args.out, "xnnpack_sparse.json"), "w") as f:
      json.dump(result, f, indent=2)
  return 0


if __name__ == "__main__":
  raise SystemExit(main())
