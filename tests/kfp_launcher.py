"""A local stand-in for the Kubeflow Pipelines v2 launcher.

It runs a compiled pipeline spec's containers as subprocesses, in dependency
order, the way the launcher runs each pod: it builds the task's
ExecutorInput (input artifacts = what the producers' executor_output.json
reported, the task's constant parameters, output artifacts under a local
root), substitutes it for `{{$}}` in the container's arguments, runs the
container's command and reads the task's executor_output.json back. Open-
source KFP ignores a container's lifecycle `preCacheCheck` hook (ExampleGen's
driver), Vertex AI runs it first: `pre_cache_check` chooses. Schema 2.1
(parameterValues) only.
"""

import concurrent.futures
import dataclasses
import json
import os
import subprocess
import sys
import time
from typing import Dict, List, Optional, Tuple

EXECUTOR_INPUT = "{{$}}"


class TaskFailed(RuntimeError):
  """A container exited with a non-zero status."""


@dataclasses.dataclass(frozen=True)
class TaskRun:
  """One task's run: its outputs and what it cost."""

  name: str
  seconds: float
  cpu_seconds: float  # user + system time of its processes
  max_rss_mb: float  # the largest of its processes (driver, executor)
  outputs: Dict[str, List[dict]]  # output key -> RuntimeArtifact dicts
  executor_input: dict


def task_order(spec: dict) -> List[str]:
  """The root DAG's task names, every task after the tasks it depends on."""
  tasks = spec["root"]["dag"]["tasks"]
  done, order = set(), []
  while len(order) < len(tasks):
    ready = sorted(name for name in tasks if name not in done
                   and set(upstream_tasks(spec, name)) <= done)
    if not ready:
      raise ValueError(f"cycle among {sorted(set(tasks) - done)}")
    order += ready
    done.update(ready)
  return order


def upstream_tasks(spec: dict, name: str) -> List[str]:
  """The tasks task `name` waits for: its dependencies and producers."""
  task = spec["root"]["dag"]["tasks"][name]
  producers = [a["taskOutputArtifact"]["producerTask"]
               for a in task.get("inputs", {}).get("artifacts", {}).values()]
  return sorted(set(task.get("dependentTasks", [])) | set(producers))


def _component(spec: dict, name: str) -> dict:
  return spec["components"][spec["root"]["dag"]["tasks"][name]
                            ["componentRef"]["name"]]


def container_of(spec: dict, name: str) -> dict:
  """The compiled container of task `name`."""
  label = _component(spec, name)["executorLabel"]
  return spec["deploymentSpec"]["executors"][label]["container"]


def executor_input(spec: dict, name: str, runs: Dict[str, TaskRun],
                   root: str) -> dict:
  """The ExecutorInput the launcher gives task `name` (schema 2.1)."""
  task = spec["root"]["dag"]["tasks"][name]
  inputs = task.get("inputs", {})
  parameters = {}
  for key, parameter in inputs.get("parameters", {}).items():
    if "constant" not in parameter.get("runtimeValue", {}):
      raise NotImplementedError(f"{name}.{key}: only constant parameters")
    parameters[key] = parameter["runtimeValue"]["constant"]
  artifacts = {}
  for key, source in inputs.get("artifacts", {}).items():
    output = source["taskOutputArtifact"]
    artifacts[key] = {"artifacts": runs[output["producerTask"]].outputs[
        output["outputArtifactKey"]]}
  task_root = os.path.join(root, name)
  outputs = {
      key: {"artifacts": [{"name": f"{name}.{key}",
                           "uri": os.path.join(task_root, key),
                           "type": definition["artifactType"],
                           "metadata": {}}]}
      for key, definition in _component(spec, name).get(
          "outputDefinitions", {}).get("artifacts", {}).items()}
  return {"inputs": {"artifacts": artifacts, "parameterValues": parameters},
          "outputs": {"artifacts": outputs,
                      "outputFile": os.path.join(task_root,
                                                 "executor_output.json")}}


def _run(command: List[str], args: List[str], invocation: dict, python: str,
         log_path: str, env: dict) -> Tuple[float, float]:
  """Runs one container command; returns its CPU seconds and peak RSS (MB)."""
  if command[0] != "python":
    raise ValueError(f"expected a python command; got {command}")
  argv = [python] + command[1:] + [json.dumps(invocation) if a == EXECUTOR_INPUT
                                   else a for a in args]
  with open(log_path, "ab") as log:
    process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                               env=env)
    _, status, usage = os.wait4(process.pid, 0)
  process.returncode = os.waitstatus_to_exitcode(status)
  if process.returncode:
    with open(log_path, errors="replace") as f:
      raise TaskFailed(f"{argv[:4]} exited {process.returncode}:\n"
                       f"{f.read()[-4000:]}")
  return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def run_task(spec: dict, name: str, runs: Dict[str, TaskRun], root: str,
             python: str = sys.executable, env: Optional[dict] = None,
             pre_cache_check: bool = False) -> TaskRun:
  """Runs task `name` (its hook if `pre_cache_check`, then its command)."""
  start = time.monotonic()
  container = container_of(spec, name)
  invocation = executor_input(spec, name, runs, root)
  os.makedirs(os.path.join(root, name), exist_ok=True)
  log_path = os.path.join(root, name, "log.txt")
  env = dict(os.environ if env is None else env)
  hook = container.get("lifecycle", {}).get("preCacheCheck")
  commands = ([hook] if hook and pre_cache_check else []) + [container]
  costs = [_run(c["command"], c["args"], invocation, python, log_path, env)
           for c in commands]
  with open(invocation["outputs"]["outputFile"]) as f:
    reported = json.load(f).get("artifacts", {})
  outputs = {}
  for key, planned in invocation["outputs"]["artifacts"].items():
    (artifact,) = planned["artifacts"]
    reported_list = reported.get(key, {}).get("artifacts") or [{}]
    outputs[key] = [dict(artifact, **{k: v for k, v in r.items()
                                      if k in ("uri", "metadata")})
                    for r in reported_list]
  return TaskRun(name, time.monotonic() - start, sum(c for c, _ in costs),
                 max(r for _, r in costs), outputs, invocation)


def run_pipeline(spec: dict, root: str, python: str = sys.executable,
                 workers: int = 2, env: Optional[dict] = None,
                 pre_cache_check: bool = False) -> Dict[str, TaskRun]:
  """Runs every task of `spec`, up to `workers` at once, as KFP would.

  Args:
    spec: A compiled pipeline spec (schema 2.1).
    root: Local directory for the artifacts (the run's pipeline root).
    python: The interpreter that stands for `python` in the commands.
    workers: Tasks run at once.
    env: The containers' environment; None: this process's.
    pre_cache_check: Also run lifecycle preCacheCheck hooks (Vertex AI).

  Raises:
    TaskFailed: The first task that failed (no later task starts).
  """
  order = task_order(spec)
  runs: Dict[str, TaskRun] = {}
  with concurrent.futures.ThreadPoolExecutor(workers) as pool:
    running = {}
    while len(runs) < len(order):
      for name in order:
        if (name not in runs and name not in running.values()
            and set(upstream_tasks(spec, name)) <= set(runs)):
          running[pool.submit(run_task, spec, name, dict(runs), root, python,
                              env, pre_cache_check)] = name
      finished, _ = concurrent.futures.wait(
          running, return_when=concurrent.futures.FIRST_COMPLETED)
      for future in finished:
        runs[running.pop(future)] = future.result()
  return runs
