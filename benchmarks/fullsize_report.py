"""The full-size benchmark's Markdown and result files (see fullsize.py)."""

import json
import os
from typing import Dict, Mapping, Optional

SEED_RESNET50 = ("seed: float 98 MB -> pruned 80% + int8, gzip 9.2 MB; "
                 "3.5x faster")
STACK_RESNET50 = ("STACK.md: float 102 MB, 306 ms -> int8 26.2 MB, 277 ms "
                  "(1.1x), 1 thread")


def _mb(n: int) -> str:
  return f"{n / 1e6:.2f} MB"


def _x(v: Optional[float]) -> str:
  return "-" if v is None else f"{v:.2f}x"


def markdown(result: Mapping[str, object]) -> str:
  """The Markdown report: one table per architecture plus notes."""
  settings = result["settings"]
  threads = [str(n) for n in settings["threads"]]
  head = ["variant", "raw size (x smaller)", "gzip (x vs float gzip)",
          "float raw / gzip"]
  for n in threads:
    head.append(f"{n}T median / p90 ms (speedup)")
  head += ["peak mem increase", "load avg (1 min)"]
  lines = []
  for arch, res in result["archs"].items():
    lines += [f"### {arch} {'x'.join(map(str, res['input_shape']))}, "
              f"{res['params']:,} params", "",
              "| " + " | ".join(head) + " |",
              "|" + "---|" * len(head)]
    for row in res["variants"].values():
      cells = [row["label"],
               f"{_mb(row['size_bytes'])} ({_x(row['size_ratio_vs_float'])})",
               f"{_mb(row['gzip_bytes'])} "
               f"({_x(row['gzip_ratio_vs_float_gzip'])})",
               _x(row["gzip_ratio_vs_float_raw"])]
      for n in threads:
        lat = row["latency"][n]
        cells.append(f"{lat['median_ms']:.1f} / {lat['p90_ms']:.1f} "
                     f"({_x(lat['speedup_vs_float'])})")
      mem = row.get("peak_memory")
      cells.append("-" if not mem or "error" in mem
                   else _mb(mem["increase_bytes"]))
      cells.append(f"{row['load_average_1min']:.2f}")
      lines.append("| " + " | ".join(cells) + " |")
    pr = res["pruning"]
    int8_sp = res["variants"]["pruned80_int8"].get("int8_kernel_sparsity")
    lines += ["",
              f"Pruned {pr['pruned_layers']} of {pr['layers_with_kernel']} "
              f"layers with a kernel; kernel sparsity "
              f"{pr['pruned_kernel_sparsity']:.3f} in pruned layers, "
              f"{pr['all_kernel_sparsity']:.3f} over all kernels; int8 kernel "
              f"zeros in the TFLite file: "
              f"{'-' if int8_sp is None else f'{int8_sp:.3f}'}. "
              f"Wall time {res['wall_s']:.0f} s.", ""]
  m = result["machine"]
  la0 = ", ".join(f"{v:.2f}" for v in result["load_average_start"])
  la1 = ", ".join(f"{v:.2f}" for v in result["load_average_end"])
  notes = [
      f"Full-size architectures, {settings['input_size']}x"
      f"{settings['input_size']}, batch 1. Machine: {m['cpu_count']}-core "
      f"{m['machine']} ({m['cpu_model']}), shared; load average "
      f"{la0} at start, {la1} at end.",
      "",
      f"- Weights: {settings['weights']}.",
      f"- Calibration: {settings['calibration']}.",
      f"- Pruning: {settings['pruning']}.",
      f"- Latency: {settings['interpreter']}; {settings['warmup_runs']} "
      f"warm-up + {settings['runs']} timed invocations per figure; speedup = "
      "float median / variant median at the same thread count. 2-thread "
      "figures on this shared 2-core machine vary a lot run to run; compare "
      "at 1 thread. The last column is the 1-minute load average when the "
      "variant's timing started: above ~1, other work shared the cores and "
      "the figures are inflated (2-thread ones most).",
      f"- Peak memory: {settings['peak_memory']}; the increase over the "
      "loaded runtime.",
      "- Sizes: ratios are float / variant of the same run; 'float raw / "
      "gzip' is the float file size over the variant's gzip size (the "
      "seed's way of quoting the pruned model).",
      f"- Compare ResNet-50: {SEED_RESNET50}; {STACK_RESNET50}.",
  ]
  if "resnet50" in result["archs"]:
    v = result["archs"]["resnet50"]["variants"]
    lat = {k: v[k]["latency"].get("1") for k in ("float", "int8",
                                                   "pruned80_int8")}
    if all(lat.values()):
      notes.append(
          f"- This run, ResNet-50 (1 thread): float "
          f"{_mb(v['float']['size_bytes'])}, {lat['float']['median_ms']:.0f} "
          f"ms -> int8 {_mb(v['int8']['size_bytes'])}, "
          f"{lat['int8']['median_ms']:.0f} ms "
          f"({_x(lat['int8']['speedup_vs_float'])}); pruned 80% + int8 gzip "
          f"{_mb(v['pruned80_int8']['gzip_bytes'])}, "
          f"{lat['pruned80_int8']['median_ms']:.0f} ms "
          f"({_x(lat['pruned80_int8']['speedup_vs_float'])}). Sparsity does "
          "not make TFLite faster (dense kernels); it shows only in gzip.")
  notes.append(f"- Whole run: {result['wall_s']:.0f} s (TensorFlow import "
               "included).")
  return "\n".join(notes) + "\n\n" + "\n".join(lines)


def write_results(result: Mapping[str, object], out_dir: str,
                  name: str = "fullsize") -> Dict[str, str]:
  """Writes `<name>.json` and `<name>.md` into `out_dir`; returns the paths."""
  os.makedirs(out_dir, exist_ok=True)
  paths = {"json": os.path.join(out_dir, f"{name}.json"),
           "md": os.path.join(out_dir, f"{name}.md")}
  with open(paths["json"], "w") as f:
    json.dump(result, f, indent=2)
  with open(paths["md"], "w") as f:
    f.write(markdown(result))
  return paths
