"""Every pass over data on the Beam runner, and fine-tuning under tf.distribute
(issue #29), measured side by side on this host.

Generated splits of --small and --large examples (`scaling_inputs`): tabular
(8 floats and an int64 label) and images (the demo's 8x8 digits with noise).
Each Beam pass runs on the DirectRunner in `multi_processing` mode at 1 and 2
workers, each in a fresh process (peak RSS of the driver and, polled from
/proc, of its largest worker), --repeats times interleaved; the table shows
medians:
- scan: the split pre-checks (`example_stats.scan` as a Beam job), tabular;
- predict: the evaluator's prediction pass (`prediction_job.write`) with two
  TFLite sides (float and int8 of an 8-32-10 MLP), tabular;
- predict-cnn: the same pass with the demo CNN (float and int8), images;
- sample: the PostTrainingQuantizer's calibration sampler (1,000 examples),
  tabular.
From the two split sizes the script also derives each pass's fixed start
(the time a run takes before its examples count: worker processes importing
Beam and TensorFlow, loading models) and its marginal throughput beyond it.
Fine-tuning: the Pruner's loop (`pruner.runner.prune`, 80 % sparsity) on an
8-64-64-10 MLP, 'none' vs 'mirrored' over 2 logical CPU devices vs
'multi_worker_mirrored' with 2 local worker processes (TF_CONFIG on
localhost): steps/s and eval accuracy.

Usage: uv run python benchmarks/scaling_benchmark.py [--quick]
       [--small N] [--large N] [--repeats N] [--out DIR]
(--quick: 20,000 / 40,000 examples and short fine-tuning; not written to --out.)
"""

import argparse
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time

# The package sets TF_USE_LEGACY_KERAS=1 before TensorFlow loads.
import tfx_compression  # pylint: disable=unused-import,wrong-import-position

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
_PASSES = ("scan", "predict", "predict-cnn", "sample")
_SPEEDUP_PASSES = ("predict", "predict-cnn", "sample")


def _rss_mb(who=resource.RUSAGE_SELF) -> float:
  return resource.getrusage(who).ru_maxrss / 1024


def _beam_args(workers: int):
  return ["--direct_running_mode=multi_processing",
          f"--direct_num_workers={workers}"]


def _files(directory):
  return sorted(os.path.join(directory, f) for f in os.listdir(directory)
                if f.endswith(".gz"))


def measure_pass(name: str, directory: str, workers: int) -> dict:
  """One Beam pass over the split; runs in a fresh process."""
  # pylint: disable=g-import-not-at-top,unused-import
  import apache_beam  # outside the timing
  import tensorflow
  import scaling_inputs
  import worker_rss
  # pylint: enable=g-import-not-at-top,unused-import
  files, args = _files(directory), _beam_args(workers)
  work = tempfile.mkdtemp(prefix=f"scaling-{name}-")
  sides = {"predict": scaling_inputs.tabular_sides,
           "predict-cnn": scaling_inputs.cnn_sides}.get(name, list)()
  baseline = _rss_mb()
  with worker_rss.DescendantPeak() as worker_peak:
    start = time.monotonic()
    examples = _run_pass(name, directory, files, args, work, sides)
    seconds = time.monotonic() - start
  return {"pass": name, "workers": workers, "examples": examples,
          "seconds": round(seconds, 2),
          "examples_per_s": round(examples / seconds),
          "baseline_rss_mb": round(baseline), "peak_rss_mb": round(_rss_mb()),
          "peak_worker_rss_mb": round(worker_peak.peak_mb)}


def _run_pass(name, directory, files, args, work, sides) -> int:
  """Runs one pass; returns the number of examples it read."""
  import apache_beam as beam  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.evaluation import task as task_lib  # pylint: disable=g-import-not-at-top
  if name == "scan":
    from tfx_compression.lib.data import example_stats  # pylint: disable=g-import-not-at-top
    return example_stats.scan(files, "bench", "label", use_beam=True,
                              beam_pipeline_args=args, work_dir=work).records
  if name in ("predict", "predict-cnn"):
    from tfx_compression.compression_evaluator import prediction_job  # pylint: disable=g-import-not-at-top
    return prediction_job.write(
        files, sides, _output_key(sides), work,
        task_lib.ModelTask(task_lib.Task.MULTICLASS, 10,
                           task_lib.Scores.PROBABILITIES, "bench"),
        beam_pipeline_args=args)["examples"]
  from tfx_compression.lib.quantization import calibration_sampling  # pylint: disable=g-import-not-at-top
  return calibration_sampling.sample_tfrecords(
      [os.path.join(directory, "*.gz")], os.path.join(work, "Split-c"),
      os.path.join(work, "stats.json"), 1000,
      make_pipeline=lambda: beam.Pipeline(argv=args)).population


def _output_key(sides):
  from tfx_compression.lib.tflite import inspection  # pylint: disable=g-import-not-at-top
  (key,) = inspection.summarize(sides[0].predictor.tflite_bytes).output_names
  return key


def _free_port() -> int:
  with socket.socket() as s:
    s.bind(("localhost", 0))
    return s.getsockname()[1]


def fine_tune(distribution: str, steps: int, logical_devices: int) -> dict:
  """The Pruner's loop on a learnable synthetic task; runs in its own process."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.training import distribution as distribution_lib  # pylint: disable=g-import-not-at-top
  if distribution == "multi_worker_mirrored":
    distribution_lib.start(distribution)  # before any other TF op
  if logical_devices > 1:
    tf.config.set_logical_device_configuration(
        tf.config.list_physical_devices("CPU")[0],
        [tf.config.LogicalDeviceConfiguration()] * logical_devices)
  # pylint: disable=g-import-not-at-top
  import numpy as np
  import tf_keras as keras
  from tfx_compression.fine_tuning import data as tuning_data
  from tfx_compression.fine_tuning.config import FineTuning
  from tfx_compression.pruner import runner
  from tfx_compression.pruner.config import PrunerConfig
  # pylint: enable=g-import-not-at-top
  keras.utils.set_random_seed(0)
  rng = np.random.default_rng(0)
  x = rng.uniform(size=(60_000, 8)).astype(np.float32)
  y = np.minimum((x[:, 0] * 10).astype(np.int64), 9)
  inputs = keras.Input((8,), name="x")
  hidden = keras.layers.Dense(64, activation="relu")(inputs)
  hidden = keras.layers.Dense(64, activation="relu")(hidden)
  model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(
      hidden))
  model.compile(keras.optimizers.Adam(3e-3),
                "sparse_categorical_crossentropy", metrics=["accuracy"])
  model.fit(x[:50_000], y[:50_000], epochs=2, batch_size=256, verbose=0)
  train = tf.data.Dataset.from_tensor_slices(({"x": x[:50_000]}, y[:50_000]))
  evaluation = tf.data.Dataset.from_tensor_slices(
      ({"x": x[50_000:]}, y[50_000:])).batch(1000)
  data = tuning_data.TrainingData(
      train=train.shuffle(50_000, seed=0).batch(256, drop_remainder=True),
      eval=evaluation, steps_per_epoch=steps, source="arrays")
  config = PrunerConfig(fine_tuning=FineTuning(
      epochs=1, steps_per_epoch=steps, batch_size=256,
      distribution=distribution, alpha=1.0))
  result = runner.prune(model, config, data, tempfile.mkdtemp())
  return {"distribution": distribution, "replicas": result.replicas,
          "chief": distribution_lib.is_chief(), "steps": steps,
          "steps_per_s": round(steps / result.fit_seconds, 1),
          "eval_accuracy": round(result.eval_after["accuracy"], 4)}


def _child(argv, env=None) -> dict:
  out = subprocess.run([sys.executable, __file__] + argv, check=True,
                       capture_output=True, text=True, env=env)
  return json.loads(out.stdout.strip().splitlines()[-1])


def _multi_worker(steps: int) -> dict:
  ports = [_free_port(), _free_port()]
  cluster = {"worker": [f"localhost:{p}" for p in ports]}
  procs = []
  for index in range(2):
    env = dict(os.environ, TF_CONFIG=json.dumps(
        {"cluster": cluster, "task": {"type": "worker", "index": index}}))
    procs.append(subprocess.Popen(
        [sys.executable, __file__, "--finetune", "multi_worker_mirrored",
         "--steps", str(steps)], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True))
  outs = [p.communicate(timeout=1800) for p in procs]
  if any(p.returncode for p in procs):
    return {"distribution": "multi_worker_mirrored", "error": outs[0][1][-800:]}
  return json.loads(outs[0][0].strip().splitlines()[-1])


def run(small: int, large: int, steps: int, repeats: int = 3) -> dict:
  """Every pass at 1 and 2 workers, `repeats` times interleaved (1, 2, 1, 2,
  ...), so that a drift of this host's speed reaches both alike."""
  import sampler_throughput  # pylint: disable=g-import-not-at-top
  result = {"passes": [], "fine_tuning": [], "repeats": repeats}
  for size in (small, large):
    tabular = tempfile.mkdtemp(prefix=f"scaling-{size}-")
    subprocess.run([sys.executable, sampler_throughput.__file__, "--generate",
                    "--data-dir", tabular, "--num-examples", str(size)],
                   check=True)
    images = tempfile.mkdtemp(prefix=f"scaling-images-{size}-")
    _child(["--images", images, "--size", str(size)])
    for repeat in range(repeats):
      for name in _PASSES:
        directory = images if name == "predict-cnn" else tabular
        for workers in (1, 2):
          row = dict(_child(["--pass", name, "--data-dir", directory,
                             "--workers", str(workers)]), split=size,
                     repeat=repeat)
          print(json.dumps(row), flush=True)
          result["passes"].append(row)
  for distribution, devices in (("none", 1), ("mirrored", 2)):
    row = _child(["--finetune", distribution, "--steps", str(steps),
                  "--devices", str(devices)])
    print(json.dumps(row), flush=True)
    result["fine_tuning"].append(row)
  row = _multi_worker(steps)
  print(json.dumps(row), flush=True)
  result["fine_tuning"].append(row)
  result["summary"] = summarize(result["passes"])
  result["marginal"] = marginal(result["summary"], small, large)
  result["targets"] = targets(result, small, large)
  return result


def summarize(rows) -> list:
  """Per pass and split: median examples/s at 1 and 2 workers, the speed-up
  of the medians and of each back-to-back pair, and the peak RSS."""
  groups = {}
  for r in rows:
    groups.setdefault((r["pass"], r["split"]), {}).setdefault(
        r["workers"], []).append(r)
  out = []
  for (name, split), by_workers in groups.items():
    one, two = by_workers[1], by_workers[2]
    pairs = [b["examples_per_s"] / a["examples_per_s"]
             for a, b in zip(one, two)]
    median = lambda rs: statistics.median(r["examples_per_s"] for r in rs)
    out.append({
        "pass": name, "split": split, "runs": len(one),
        "one_worker_ex_s": round(median(one)),
        "two_workers_ex_s": round(median(two)),
        "one_worker_s": statistics.median(r["seconds"] for r in one),
        "two_workers_s": statistics.median(r["seconds"] for r in two),
        "speedup": round(median(two) / median(one), 3),
        "pair_speedups": [round(p, 3) for p in pairs],
        "peak_rss_mb": {w: max(r["peak_rss_mb"] for r in rs)
                        for w, rs in by_workers.items()},
        "peak_worker_rss_mb": {w: max(r["peak_worker_rss_mb"] for r in rs)
                               for w, rs in by_workers.items()}})
  return out


def marginal(summary, small: int, large: int) -> list:
  """Per pass, from the median times at the two split sizes: the fixed start
  (the line's intercept: what a run costs before its examples count) and the
  marginal throughput (its slope) at 1 and 2 workers."""
  rows = {(r["pass"], r["split"]): r for r in summary}
  out = []
  for name in sorted({r["pass"] for r in summary}, key=_PASSES.index):
    lo, hi = rows[(name, small)], rows[(name, large)]
    fit = {}
    for w, key in ((1, "one_worker_s"), (2, "two_workers_s")):
      extra = hi[key] - lo[key]  # <= 0: the sizes are too close for noise
      rate = (large - small) / extra if extra > 0 else None
      fit[w] = {"fixed_s": round(lo[key] - small / rate, 1) if rate else None,
                "ex_s": round(rate) if rate else None}
    out.append({"pass": name, "fixed_s": {w: f["fixed_s"]
                                          for w, f in fit.items()},
                "marginal_ex_s": {w: f["ex_s"] for w, f in fit.items()},
                "speedup": (round(fit[2]["ex_s"] / fit[1]["ex_s"], 3)
                            if fit[1]["ex_s"] and fit[2]["ex_s"] else None)})
  return out


def targets(result: dict, small: int, large: int) -> list:
  """Issue #29's targets, each met or missed with the measured figure."""
  rows = {(r["pass"], r["split"]): r for r in result["summary"]}
  out = []
  for name in _PASSES:
    lo, hi = rows[(name, small)], rows[(name, large)]
    ratio = max(max(hi[k][w] / lo[k][w] for w in (1, 2))
                for k in ("peak_rss_mb", "peak_worker_rss_mb"))
    out.append({"target": f"{name}: peak RSS at {large:,} within 1.2x of "
                          f"{small:,}", "measured": f"{ratio:.2f}x",
                "met": ratio <= 1.2})
  beyond = {r["pass"]: r for r in marginal(result["summary"], small, large)}
  for name in _SPEEDUP_PASSES:
    r = rows[(name, large)]
    out.append({"target": f"{name}: 2 workers >= 1.6x of 1 at {large:,}",
                "measured": f"{r['speedup']:.2f}x (pairs "
                            f"{', '.join(f'{p:.2f}' for p in r['pair_speedups'])})",
                "met": r["speedup"] >= 1.6})
  for name in _SPEEDUP_PASSES:
    r = beyond[name]
    out.append({"target": f"{name}: 2 workers >= 1.6x of 1 beyond the "
                          "fixed start (marginal ex/s)",
                "measured": (f"{r['speedup']:.2f}x" if r["speedup"] else
                             "not measurable (sizes too close)"),
                "met": bool(r["speedup"]) and r["speedup"] >= 1.6})
  tuned = {r["distribution"]: r for r in result["fine_tuning"]}
  single = tuned["none"].get("eval_accuracy")
  multi = tuned["multi_worker_mirrored"].get("eval_accuracy")
  out.append({"target": "multi_worker_mirrored (2 workers) within 0.5 pt "
                        "of none", "measured": f"{multi} vs {single}",
              "met": (single is not None and multi is not None
                      and abs(multi - single) <= 0.005)})
  return out


def table(result: dict) -> str:
  lines = [f"Median of {result['repeats']} interleaved runs per cell; the "
           "speed-up is that of the medians, with each back-to-back pair's "
           "in brackets.", "",
           "| pass | split | 1 worker ex/s | 2 workers ex/s | speed-up | "
           "peak RSS MB (driver / largest worker), 1 → 2 workers |",
           "|---|---|---|---|---|---|"]
  for r in result["summary"]:
    rss, worker = r["peak_rss_mb"], r["peak_worker_rss_mb"]
    lines.append(
        f"| {r['pass']} | {r['split']:,} | {r['one_worker_ex_s']:,} | "
        f"{r['two_workers_ex_s']:,} | {r['speedup']:.2f}× ("
        f"{', '.join(f'{p:.2f}' for p in r['pair_speedups'])}) | "
        f"{rss[1]} / {worker[1]} → {rss[2]} / {worker[2]} |")
  lines += ["", "Each pass's line through its median times at the two sizes: "
            "the fixed start (intercept) and the throughput beyond it "
            "(slope).", "",
            "| pass | fixed start s, 1 → 2 workers | marginal ex/s, 1 worker "
            "| 2 workers | speed-up |", "|---|---|---|---|---|"]
  for r in result["marginal"]:
    fixed, rate = r["fixed_s"], r["marginal_ex_s"]
    show = lambda v, fmt="{:,}": "-" if v is None else fmt.format(v)
    lines.append(f"| {r['pass']} | {show(fixed[1])} → {show(fixed[2])} | "
                 f"{show(rate[1])} | {show(rate[2])} | "
                 f"{show(r['speedup'], '{:.2f}×')} |")
  lines += ["", "| fine-tuning | replicas | steps/s | eval accuracy |",
            "|---|---|---|---|"]
  for r in result["fine_tuning"]:
    lines.append(f"| {r['distribution']} | {r.get('replicas', '-')} | "
                 f"{r.get('steps_per_s', '-')} | "
                 f"{r.get('eval_accuracy', r.get('error', '-'))} |")
  lines += ["", "## Targets", "", "| target | measured | |", "|---|---|---|"]
  for t in result["targets"]:
    lines.append(f"| {t['target']} | {t['measured']} | "
                 f"{'met' if t['met'] else 'missed'} |")
  return "\n".join(lines)


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--quick", action="store_true")
  parser.add_argument("--small", type=int, default=100_000)
  parser.add_argument("--large", type=int, default=1_000_000)
  parser.add_argument("--steps", type=int, default=300)
  parser.add_argument("--repeats", type=int, default=3,
                      help="interleaved runs of each pass and worker count")
  parser.add_argument("--out", default=os.path.join(HERE, "results"))
  parser.add_argument("--pass", dest="pass_", help=argparse.SUPPRESS)
  parser.add_argument("--data-dir", help=argparse.SUPPRESS)
  parser.add_argument("--workers", type=int, default=1, help=argparse.SUPPRESS)
  parser.add_argument("--finetune", help=argparse.SUPPRESS)
  parser.add_argument("--devices", type=int, default=1, help=argparse.SUPPRESS)
  parser.add_argument("--images", help=argparse.SUPPRESS)
  parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
  args = parser.parse_args(argv)
  if args.images:
    import scaling_inputs  # pylint: disable=g-import-not-at-top
    scaling_inputs.generate_images(args.images, args.size)
    print(json.dumps({"images": args.size}))
    return 0
  if args.pass_:
    print(json.dumps(measure_pass(args.pass_, args.data_dir, args.workers)))
    return 0
  if args.finetune:
    print(json.dumps(fine_tune(args.finetune, args.steps, args.devices)))
    return 0
  if args.quick:
    args.small, args.large, args.steps, args.repeats = 20_000, 40_000, 20, 1
  result = run(args.small, args.large, args.steps, args.repeats)
  text = table(result)
  print(text)
  if not args.quick:
    import measure  # pylint: disable=g-import-not-at-top
    measure.write_results(args.out, "scaling", text, result)
  return 0


if __name__ == "__main__":
  sys.exit(main())
