"""int8 accuracy: calibrating on the first 100 rows vs on a Beam-sampled 100.

The seeds calibrated on `x_train[:100]`. On data stored sorted by label those
rows hold one class; that only hurts when classes differ in input range (on
plain digits every class spans [0, 1]). This script trains the digits CNN on
two variants of scikit-learn's digits, stored sorted by label:

  same-range    pixels in [0, 1] for every class
  class-range   pixels of digit d scaled to [0, d + 1]

and reports eval accuracy of the float model and of int8 models calibrated on
the first 100 stored rows and on 100 rows drawn by the Beam sampler:

  uv run python benchmarks/calibration_bias.py [--calibration-size 100]
"""

import argparse
import os
import tempfile

# The package sets TF_USE_LEGACY_KERAS=1 before TensorFlow loads.
import tfx_compression  # pylint: disable=unused-import
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# pylint: disable=g-import-not-at-top
import numpy as np

from tfx_compression.lib.quantization import calibration_sampling
from tfx_compression.lib.data import examples_io
from tfx_compression.lib.keras import saved_model_io
from tfx_compression.lib.quantization import ptq_convert
from tfx_compression.lib.keras import tf_setup
from tfx_compression.lib.tflite import inference
from tfx_compression.pipelines import digits_data
from tfx_compression.pipelines import digits_trainer


def _write_sorted(path: str, images, labels) -> None:
  """Writes the examples sorted by label, as an ordered export would be."""
  import tensorflow as tf
  order = np.argsort(labels, kind="stable")
  with tf.io.TFRecordWriter(path, "GZIP") as writer:
    for i in order:
      writer.write(tf.train.Example(features=tf.train.Features(feature={
          "image": tf.train.Feature(
              float_list=tf.train.FloatList(value=images[i])),
          "label": tf.train.Feature(
              int64_list=tf.train.Int64List(value=[int(labels[i])])),
      })).SerializeToString())


def run_variant(name: str, class_range: bool, calibration_size: int,
                workdir: str) -> dict:
  """Trains on one variant and compares the two calibrations."""
  import tf_keras as keras
  images, labels = digits_data.load_digits_arrays()
  if class_range:
    images = images * (1.0 + labels[:, None]).astype(np.float32)
  rng = np.random.default_rng(0)
  permutation = rng.permutation(len(labels))
  train, held_out = permutation[:1400], permutation[1400:]
  keras.utils.set_random_seed(0)
  model = digits_trainer.build_model()
  model.fit({"image": images[train]}, labels[train], epochs=12,
            batch_size=32, verbose=0)
  path = os.path.join(workdir, f"{name}.tfrecord.gz")
  _write_sorted(path, images[train], labels[train])
  specs = saved_model_io.input_specs(model)
  first_n = examples_io.read_inputs([path], specs, calibration_size)
  out = os.path.join(workdir, name)
  stats = calibration_sampling.sample_tfrecords(
      [path], os.path.join(out, "Split-calibration"),
      os.path.join(out, "stats.json"), calibration_size, label_key="label",
      seed=0)
  sampled = examples_io.read_inputs(stats.files, specs, calibration_size)
  eval_inputs = {"image": images[held_out]}
  eval_labels = labels[held_out]
  float_acc = float(np.mean(model.predict(eval_inputs, verbose=0).argmax(1) ==
                            eval_labels))
  result = {"variant": name, "float": float_acc,
            "first_n_labels": sorted(set(
                int(l) for l in labels[train][np.argsort(
                    labels[train], kind="stable")][:calibration_size])),
            "sample_labels": stats.sample_by_label}
  for key, calibration in (("int8_first_n", first_n),
                           ("int8_beam_sample", sampled)):
    converted = ptq_convert.quantize(model, "int8",
                                      calibration_inputs=calibration,
                                      validation_inputs=eval_inputs)
    result[key] = inference.accuracy(converted.model_bytes, eval_inputs, eval_labels)
    result[key + "_agreement"] = converted.agreement.argmax_agreement
  return result


def main(argv=None) -> None:
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--calibration-size", type=int, default=100)
  args = parser.parse_args(argv)
  tf_setup.skip_autograph_for_keras()
  workdir = tempfile.mkdtemp(prefix="calibration-bias-")
  print(f"eval accuracy on 397 held-out digits; calibration on "
        f"{args.calibration_size} examples of 1,400 stored sorted by label")
  for name, class_range in (("same-range", False), ("class-range", True)):
    r = run_variant(name, class_range, args.calibration_size, workdir)
    print(f"{r['variant']:12} float {r['float']:.4f} | int8 first-"
          f"{args.calibration_size} {r['int8_first_n']:.4f} (agreement "
          f"{r['int8_first_n_agreement']:.3f}, labels {r['first_n_labels']}) "
          f"| int8 Beam sample {r['int8_beam_sample']:.4f} (agreement "
          f"{r['int8_beam_sample_agreement']:.3f}, labels "
          f"{r['sample_labels']})")


if __name__ == "__main__":
  main()
