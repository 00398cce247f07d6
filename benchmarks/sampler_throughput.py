"""Throughput and peak memory of the Beam calibration sampler.

Generates N small tf.Examples (8 floats and an int64 label) as gzipped TFRecord
shards in a temporary directory, then times `calibration_sampling.
sample_tfrecords` on the DirectRunner, each strategy in a fresh process so
that its peak RSS is its own:

  uv run python benchmarks/sampler_throughput.py [--num-examples N]
      [--sample-size K] [--strategies uniform per_class]
      [--beam-args="--direct_running_mode=multi_processing --direct_num_workers=2"]

Peak RSS is `resource.getrusage(...).ru_maxrss` of the sampling process and,
for multi-process runs, of its largest child (a Beam worker). "baseline" is
the peak after imports, before the pipeline runs. Data are generated in a
separate process because ru_maxrss is inherited across fork and exec.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

NUM_SHARDS = 8
NUM_LABELS = 10


def _field(tag: int, payload: bytes) -> bytes:
  """A length-delimited protobuf field (payloads here are < 128 bytes)."""
  return bytes([tag, len(payload)]) + payload


def encode_example(values: bytes, label: int) -> bytes:
  """Serializes tf.Example {x: 8 float32 (little-endian bytes), label: int64}.

  Written by hand because building tf.train.Example objects costs ~0.3 ms
  each here, too slow for a million records; checked against TF's parser.
  """
  x = _field(0x12, _field(0x0A, values))  # Feature.float_list, packed.
  y = _field(0x1A, _field(0x0A, bytes([label])))  # Feature.int64_list.
  entry = lambda key, feature: _field(0x0A, _field(0x0A, key) +
                                      _field(0x12, feature))
  features = entry(b"label", y) + entry(b"x", x)
  return _field(0x0A, features)  # Example.features.


def generate(directory: str, num_examples: int) -> None:
  """Writes `num_examples` distinct examples in NUM_SHARDS gzipped shards."""
  # The package sets TF_USE_LEGACY_KERAS=1 before TensorFlow loads.
  import tfx_compression  # pylint: disable=unused-import
  import numpy as np  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  rng = np.random.default_rng(0)
  first = rng.uniform(size=8).astype("<f4")
  parsed = tf.train.Example.FromString(encode_example(first.tobytes(), 3))
  assert list(parsed.features.feature["x"].float_list.value) == first.tolist()
  assert list(parsed.features.feature["label"].int64_list.value) == [3]
  per_shard = -(-num_examples // NUM_SHARDS)
  for shard in range(NUM_SHARDS):
    start = shard * per_shard
    stop = min(num_examples, start + per_shard)
    values = rng.uniform(size=(stop - start, 8)).astype("<f4")
    path = os.path.join(directory,
                        f"data_tfrecord-{shard:05d}-of-{NUM_SHARDS:05d}.gz")
    with tf.io.TFRecordWriter(path, "GZIP") as writer:
      for i, row in zip(range(start, stop), values):
        writer.write(encode_example(row.tobytes(), i % NUM_LABELS))


def _rss_mb(who=resource.RUSAGE_SELF) -> float:
  return resource.getrusage(who).ru_maxrss / 1024  # Linux reports KiB.


def measure(directory: str, strategy: str, sample_size: int,
            beam_args: list) -> dict:
  """Runs the sampler once and returns its timing and memory."""
  import apache_beam as beam  # pylint: disable=g-import-not-at-top
  from tfx_compression.lib.quantization import calibration_sampling  # pylint: disable=g-import-not-at-top
  label_key = None if strategy == "uniform" else "label"
  if label_key:  # Label parsing imports TensorFlow; keep it out of the timing.
    import tensorflow  # pylint: disable=g-import-not-at-top,unused-import
  baseline = _rss_mb()
  out = tempfile.mkdtemp(prefix="sample-")
  start = time.monotonic()
  stats = calibration_sampling.sample_tfrecords(
      [os.path.join(directory, "*.gz")], os.path.join(out, "Split-calibration"),
      os.path.join(out, "stats.json"), sample_size, strategy,
      label_key=label_key, seed=0,
      make_pipeline=lambda: beam.Pipeline(argv=beam_args))
  seconds = time.monotonic() - start
  return {"strategy": strategy, "population": stats.population,
          "sampled": stats.sampled, "seconds": round(seconds, 2),
          "examples_per_s": round(stats.population / seconds),
          "baseline_rss_mb": round(baseline), "peak_rss_mb": round(_rss_mb()),
          # Beam workers, when the runner starts any.
          "peak_worker_rss_mb": (round(_rss_mb(resource.RUSAGE_CHILDREN))
                                 if "multi_processing" in " ".join(beam_args)
                                 else None)}


def main(argv=None) -> None:
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--num-examples", type=int, default=1_000_000)
  parser.add_argument("--sample-size", type=int, default=1000)
  parser.add_argument("--strategies", nargs="+",
                      default=["uniform", "per_class"])
  parser.add_argument("--beam-args", default="",
                      help="space-separated Beam pipeline arguments")
  parser.add_argument("--data-dir", help="reuse or create the data here")
  parser.add_argument("--measure", help=argparse.SUPPRESS)
  parser.add_argument("--generate", action="store_true", help=argparse.SUPPRESS)
  args = parser.parse_args(argv)
  beam_args = args.beam_args.split()
  if args.measure:
    print(json.dumps(measure(args.data_dir, args.measure, args.sample_size,
                             beam_args)))
    return
  if args.generate:
    generate(args.data_dir, args.num_examples)
    return
  directory = args.data_dir or tempfile.mkdtemp(prefix="sampler-bench-")
  os.makedirs(directory, exist_ok=True)
  if not os.listdir(directory):
    start = time.monotonic()
    # In a child: ru_maxrss survives fork and exec, so this process must stay
    # small for the measuring children's peaks to be their own.
    subprocess.run([sys.executable, __file__, "--generate", "--data-dir",
                    directory, "--num-examples", str(args.num_examples)],
                   check=True)
    print(f"generated {args.num_examples:,} examples in {NUM_SHARDS} shards "
          f"({sum(os.path.getsize(os.path.join(directory, f)) for f in os.listdir(directory)) / 1e6:.1f} MB gzipped) "
          f"in {time.monotonic() - start:.0f} s: {directory}")
  print(f"DirectRunner {beam_args or '(in-memory)'}, sample size "
        f"{args.sample_size} (per label for per_class)")
  for strategy in args.strategies:
    out = subprocess.run(
        [sys.executable, __file__, "--measure", strategy, "--data-dir",
         directory, "--sample-size", str(args.sample_size),
         f"--beam-args={args.beam_args}"],
        check=True, capture_output=True, text=True)
    print(json.loads(out.stdout.strip().splitlines()[-1]))


if __name__ == "__main__":
  main()
