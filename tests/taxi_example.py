"""TFX's Chicago taxi native-Keras example pipeline, run on a subset of its data.

The module file (`taxi_utils_native_keras.py`) and the pipeline function
(`taxi_pipeline_native_keras._create_pipeline`) are the wheel's, unmodified;
only the Trainer component's train/eval steps are lowered, on the component
object, so that the run is fast.
"""

import json
import os

import tfx_examples

TAXI_MODEL_FN = (
    "tfx.examples.chicago_taxi_pipeline.taxi_utils_native_keras."
    "_build_keras_model")
# What the module's run_fn passes: max(2, int(100 * 0.7**i)) for i in 0..3
# (int(100 * 0.49) is 48 in floating point).
TAXI_HIDDEN_UNITS = [max(2, int(100 * 0.7**i)) for i in range(4)]
TRAIN_STEPS, EVAL_STEPS = 20, 5


def write_taxi_csv(data_root: str, every: int = 25) -> str:
  """Writes every `every`-th row of the wheel's data.csv (header kept).

  Plus the rows carrying a `pickup_census_tract` (one in the whole file): an
  all-empty column would be read as strings by CsvExampleGen (the wheel's
  data makes it an int) and left out of every tf.Example.
  """
  from tfx.examples import chicago_taxi_pipeline  # pylint: disable=g-import-not-at-top
  source = os.path.join(os.path.dirname(chicago_taxi_pipeline.__file__),
                        "data", "simple", "data.csv")
  os.makedirs(data_root, exist_ok=True)
  with open(source) as f:
    header, *rows = f.read().splitlines()
  column = header.split(",").index("pickup_census_tract")
  subset = rows[::every] + [row for i, row in enumerate(rows)
                            if i % every and row.split(",")[column]]
  # Rows with empty cells (the example's _fill_in_missing handles them).
  assert any(",," in row or row.startswith(",") for row in subset)
  with open(os.path.join(data_root, "data.csv"), "w") as f:
    f.write("\n".join([header] + subset) + "\n")
  return data_root


def taxi_pipeline(workdir: str) -> "tfx_examples.ExamplePipeline":
  """taxi_pipeline_native_keras._create_pipeline, Trainer steps lowered."""
  # pylint: disable=g-import-not-at-top
  from tfx.examples.chicago_taxi_pipeline import taxi_pipeline_native_keras
  from tfx.examples.chicago_taxi_pipeline import taxi_utils_native_keras
  data_root = write_taxi_csv(os.path.join(workdir, "data"))
  metadata_path = os.path.join(workdir, "metadata.sqlite")
  pipeline = taxi_pipeline_native_keras._create_pipeline(  # pylint: disable=protected-access
      pipeline_name="chicago_taxi_native_keras",
      pipeline_root=os.path.join(workdir, "pipeline_root"),
      data_root=data_root, module_file=taxi_utils_native_keras.__file__,
      serving_model_dir=os.path.join(workdir, "serving_model"),
      metadata_path=metadata_path, beam_pipeline_args=[])
  example = tfx_examples._described(pipeline, workdir, metadata_path)  # pylint: disable=protected-access
  trainer = example.component("Trainer")
  # The component stores its protos as JSON strings.
  trainer.exec_properties["train_args"] = json.dumps({"num_steps": TRAIN_STEPS})
  trainer.exec_properties["eval_args"] = json.dumps({"num_steps": EVAL_STEPS})
  return example
