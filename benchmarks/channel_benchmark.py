"""Channel pruning (Pruner, granularity 'channel'): real speed-up at 1 thread.

For the digits CNN and a MobileNetV2 (alpha 0.35, 32x32), both trained by the
TFX Trainer, in one process on the same data: the Pruner removes 30 % / 50 %
of the channels of every prunable layer (and, for MobileNetV2, a
sensitivity-chosen set at 50 % of the FLOPs), fine-tunes, and the result goes
through LiteConverter (float) and PostTrainingQuantizer (int8). Every variant
is measured against the float TFLite model of the same architecture: accuracy,
params/FLOPs, batch-1 latency at 1 thread (round-robin, see measure.py).

Usage: uv run python benchmarks/channel_benchmark.py [--quick] [--out DIR]
"""

import argparse
import json
import os
import sys
import tempfile
import time

# The package sets TF_USE_LEGACY_KERAS=1 before TensorFlow loads.
import tfx_compression  # pylint: disable=unused-import
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# pylint: disable=g-import-not-at-top,wrong-import-position
import bench_pipeline
import measure
import variants

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
ARCHS = {"cnn": 12, "mobilenet_v2": 20}  # architecture -> Trainer epochs


def _variants(runner, model, arch, epochs, quick):
  """{name: (tflite bytes, pruner report or None)} for one architecture."""
  # pylint: disable=g-import-not-at-top
  from tfx_compression.lite_converter.config import LiteConverterConfig
  from tfx_compression.post_training_quantizer.config import PostTrainingQuantizerConfig
  from tfx_compression.pruner.channel_config import AutoRatios, ChannelPruning
  from tfx_compression.pruner.config import PrunerConfig
  from tfx_compression.fine_tuning.config import FineTuning
  lite, int8 = LiteConverterConfig(), PostTrainingQuantizerConfig()
  out = {"float": (runner.lite(f"{arch}_float", model, lite).tflite, None),
         "int8": (runner.ptq(f"{arch}_int8", model, int8).tflite, None)}
  channels = {f"channels {int(r * 100)}%": ChannelPruning(ratio=r)
              for r in ((0.5,) if quick else (0.3, 0.5))}
  if arch == "mobilenet_v2" and not quick:
    channels["auto: 50% of FLOPs"] = ChannelPruning(
        auto=AutoRatios(keep_fraction=0.5))
  for name, spec in channels.items():
    key = f"{arch}_{name.split(':')[0].replace(' ', '_').replace('%', '')}"
    pruned = runner.prune(key, model, PrunerConfig(
        granularity="channel", channels=spec,
        fine_tuning=FineTuning(epochs=epochs, learning_rate=5e-4)))
    out[name] = (runner.lite(key + "_float", pruned.model, lite).tflite,
                 pruned.report)
    out[name + " + int8"] = (runner.ptq(key + "_int8", pruned.model,
                                        int8).tflite, pruned.report)
  return out


def run(quick: bool, out_dir: str) -> dict:
  """Trains, prunes, converts and measures; writes channels.md / .json."""
  from tfx_compression.framework import artifact_io
  from tfx_compression.lib.data import examples_io
  from tfx_compression.lib.keras import saved_model_io
  started = time.perf_counter()
  result = {"architectures": {}}
  for arch, train_epochs in ({"cnn": 2} if quick else ARCHS).items():
    work = tempfile.mkdtemp(prefix=f"channel_bench_{arch}_")
    examples, model = bench_pipeline.trained(
        work, train_epochs, name=f"channels-{arch}", architecture=arch)
    keras_model = saved_model_io.load_keras_model(artifact_io.serving_dir(model.uri))
    inputs, labels = examples_io.read_labelled(
        artifact_io.split_files(examples, "eval"),
        saved_model_io.input_specs(keras_model), "label", 100_000)
    made = _variants(variants.Runner(examples, work), model, arch,
                     1 if quick else 6, quick)
    tflite = {name: data for name, (data, _) in made.items()}
    rows = measure.accuracy_and_size(tflite, inputs, labels)
    latency = measure.latency(tflite, (1,), 20 if quick else 300,
                              1 if quick else 3)
    for name, row in rows.items():
      report = made[name][1]
      row["latency_us"] = latency[name][1]
      if report:
        row.update({k: report[k] for k in (
            "params_ratio", "flops_ratio", "float_tflite_speedup",
            "eval_before", "eval_pruned_before_fine_tuning", "eval_after")})
        row["channels"] = {l["name"]: [l["channels_before"],
                                       l["channels_after"]]
                           for l in report["layers"]}
    result["architectures"][arch] = {"params": keras_model.count_params(),
                                     "eval_examples": int(len(labels)),
                                     "rows": rows}
  result["total_seconds"] = time.perf_counter() - started
  measure.write_results(out_dir, "channels", markdown(result),
                        json.loads(json.dumps(result)))
  return result


def markdown(result) -> str:
  lines = ["| model | variant | accuracy (Δ pt) | params × | FLOPs × | "
           "1-thread median µs | speed-up vs float |", "|---|---|---|---|---|---|---|"]
  for arch, a in result["architectures"].items():
    base = a["rows"]["float"]
    for name, r in a["rows"].items():
      lat = r["latency_us"]["median_us"]
      params = f"{r['params_ratio']:.2f}" if "params_ratio" in r else "1.00"
      flops = f"{r['flops_ratio']:.2f}" if "flops_ratio" in r else "1.00"
      lines.append(
          f"| {arch} | {name} | {r['accuracy']:.4f} "
          f"({100 * (r['accuracy'] - base['accuracy']):+.1f}) | {params} | "
          f"{flops} | {lat:,.0f} | "
          f"{base['latency_us']['median_us'] / lat:.2f}× |")
  return ("Generated by `benchmarks/channel_benchmark.py` in "
          f"{result['total_seconds'] / 60:.1f} min. Latency: float TFLite / "
          "int8 TFLite, batch 1, 1 thread, XNNPACK. Params/FLOPs: pruned model "
          "/ original.\n\n" + "\n".join(lines) + "\n")


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(description=__doc__)
  parser.add_argument("--out", default=RESULTS)
  parser.add_argument("--quick", action="store_true")
  args = parser.parse_args(argv)
  print(markdown(run(args.quick, args.out)))
  return 0


if __name__ == "__main__":
  sys.exit(main())
