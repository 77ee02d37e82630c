"""Benchmark parameters, read without importing numbascat (discovery must work for any commit).

Workload names come from ``numbascat/data/workloads.json`` of the working tree beside this
suite, so the parameter grid is the same for every benchmarked commit.
"""
import json
from pathlib import Path

WORKLOADS_JSON = Path(__file__).resolve().parents[2] / "numbascat" / "data" / "workloads.json"

#: Engines of numbascat.benchmarking.ENGINES; unavailable ones are skipped at setup.
ENGINE_NAMES = ["numpy", "numba", "torch", "torch-ops", "torch-cuda", "numba_cuda", "jax",
                "tensorflow"]


def _workload_names():
    with open(WORKLOADS_JSON) as handle:
        return [w["name"] for w in json.load(handle)["workloads"]]


WORKLOAD_NAMES = _workload_names()
