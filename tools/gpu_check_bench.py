"""The timing step of ``tools/gpu_check.py``: one worker per engine, a timeout per workload."""
from __future__ import annotations

import json
import math
import queue
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
from gpu_check_steps import kill_group

WORKER = Path(__file__).resolve().parent / "gpu_bench_worker.py"
#: The first workload of a worker also compiles kernels and imports torch / CuPy.
FIRST_WORKLOAD_EXTRA_S = 30.0
HEADLINE_TARGETS_S = {"1d-headline": 0.010, "2d-headline": 0.050, "3d-headline": 0.100}
H200_COPY_GBPS = 4300.0


def _reader(stream, q):
    for line in stream:
        q.put(line)
    q.put(None)


def _worker_round(report, engine, python, env, workloads, job, work, share_end, timeout_s):
    """Start one worker on ``workloads``; rows until it ends, times out or the share ends."""
    job_path = work / f"job-{engine}-{len(workloads)}.json"
    job_path.write_text(json.dumps(dict(job, workloads=workloads)))
    err_path = work / f"worker-{engine}-{len(workloads)}.err"
    with open(err_path, "w") as err:
        proc = subprocess.Popen([python, str(WORKER), str(job_path)], stdout=subprocess.PIPE,
                                stderr=err, text=True, env=env, start_new_session=True)
    q: queue.Queue = queue.Queue()
    threading.Thread(target=_reader, args=(proc.stdout, q), daemon=True).start()
    rows, current, started, first = [], None, time.monotonic(), True
    try:
        while True:
            limit = timeout_s + (FIRST_WORKLOAD_EXTRA_S if first else 0.0)
            wait = min(started + limit, share_end) - time.monotonic()
            try:
                line = q.get(timeout=max(0.1, wait))
            except queue.Empty:
                why = "engine time share used up" if time.monotonic() >= share_end - 0.1 \
                    else f"timed out after {limit:.0f} s"
                rows.append({"workload": current or workloads[len(rows)]["name"],
                             "engine": engine, "error": why})
                report.log(f"   {engine} {rows[-1]['workload']}: {why}; worker killed")
                return rows, True
            if line is None:
                break
            line = line.rstrip("\n")
            if line.startswith("START "):
                current, started = line[6:], time.monotonic()
            elif line.startswith("RESULT "):
                row = json.loads(line[7:])
                rows.append(row)
                first = False
                report.log("   " + _row_text(row))
                current = None
    finally:
        if proc.poll() is None:
            kill_group(proc)
        proc.wait()
    if len(rows) < len(workloads):
        tail = err_path.read_text()[-1500:]
        rows.append({"workload": workloads[len(rows)]["name"], "engine": engine,
                     "error": f"worker exited (rc={proc.returncode}) early: {tail}"})
        report.log(f"   {engine}: worker died: {tail}")
        return rows, True
    return rows, False


def _row_text(row) -> str:
    if row.get("error"):
        return f"{row['engine']:14s} {row['workload']:12s} ERROR {row['error'][:300]}"
    bw = row.get("traffic_bytes")
    bw = f" ~{bw / row['median_s'] / 1e9:,.0f} GB/s" if bw else ""
    ev = row.get("event_median_s")
    ev = f" (events {ev * 1e3:.3f} ms)" if ev else ""
    host = row.get("enqueue_median_s")
    host = f" host {host * 1e3:.3f} ms" if host is not None else ""
    launches = row.get("kernel_launches")
    launches = f" {launches} launches {row['fft_calls']} FFTs" if launches is not None else ""
    return (f"{row['engine']:14s} {row['workload']:12s} {row['median_s'] * 1e3:10.3f} ms"
            f"{ev}{host} x{row['calls']} build {row['build_s']:.1f} s{bw}{launches} "
            f"{row.get('note', '')}")


def run_bench(report, args, workloads, work: Path, engines: dict) -> list[dict]:
    """Time every workload on every engine in ``args.engines``; one row per pair."""
    device = "cpu" if args.simulate else "cuda"
    save_dir = work / "outputs"
    save_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    names = list(args.engines)
    for i, engine in enumerate(names):
        python, env = engines[engine]
        if python is None:
            rows += [{"workload": w["name"], "engine": engine,
                      "error": "skipped: no Kymatio peer (no kymatio wheel installed and "
                               "NUMBASCAT_KYMATIO_PYTHON unset)", "skipped": True}
                     for w in workloads]
            report.log(f"   {engine}: skipped, no Kymatio peer")
            continue
        share_end = time.monotonic() + (report.remaining() - 5.0) / (len(names) - i)
        per_workload = max(1.0, (share_end - time.monotonic()) / max(1, len(workloads)))
        job = {"engine": engine, "batch_kind": "gpu", "device": device,
               "repeat": args.repeat, "budget_s": min(8.0, per_workload / 3),
               "save_dir": str(save_dir)}
        todo = list(workloads)
        while todo:
            if time.monotonic() >= share_end - 1.0:
                rows += [{"workload": w["name"], "engine": engine,
                          "error": "not run: engine time share used up"} for w in todo]
                break
            got, _ = _worker_round(report, engine, python, env, todo, job, work,
                                       share_end, args.workload_timeout)
            rows += got
            todo = todo[len(got):]
    _compare_outputs(rows)
    return rows


def _compare_outputs(rows) -> None:
    """Max difference of each engine's first-signal output to numba_cuda's, relative to max."""
    ref = {r["workload"]: r for r in rows if r["engine"] == "numba_cuda"
           and r.get("first_signal_file")}
    for r in rows:
        base = ref.get(r["workload"])
        if r is base or base is None or not r.get("first_signal_file"):
            continue
        a, b = np.load(base["first_signal_file"]), np.load(r["first_signal_file"])
        if a.shape != b.shape:
            r["vs_numba_cuda"] = f"shapes differ: {list(b.shape)} vs {list(a.shape)}"
            continue
        scale = max(float(np.abs(a).max()), 1e-30)
        r["vs_numba_cuda"] = float(np.abs(a.astype(np.float64) - b).max() / scale)


def _geomean(values):
    values = [v for v in values if v and v > 0]
    return math.exp(sum(map(math.log, values)) / len(values)) if values else None


def summarise(report, rows, copy_gbps) -> dict:
    """Speed-ups, headline targets and bandwidth; logged as a table and returned."""
    by = {(r["workload"], r["engine"]): r for r in rows if not r.get("error")}
    workloads = list(dict.fromkeys(r["workload"] for r in rows))
    table, vs_kym, vs_torch = [], [], []
    for w in workloads:
        nc, tc, ky = (by.get((w, e)) for e in ("numba_cuda", "torch-cuda", "kymatio-torch"))
        cells = {"workload": w}
        for label, r in (("numba_cuda_ms", nc), ("torch_cuda_ms", tc), ("kymatio_torch_ms", ky)):
            cells[label] = r["median_s"] * 1e3 if r else None
        if nc and ky:
            cells["kymatio_over_numba_cuda"] = ky["median_s"] / nc["median_s"]
            vs_kym.append(cells["kymatio_over_numba_cuda"])
        if nc and tc:
            cells["torch_over_numba_cuda"] = tc["median_s"] / nc["median_s"]
            vs_torch.append(cells["torch_over_numba_cuda"])
        for label, r in (("numba_cuda", nc), ("torch_cuda", tc)):
            if r and r.get("traffic_bytes"):
                cells[f"{label}_GBps"] = r["traffic_bytes"] / r["median_s"] / 1e9
        if nc and w in HEADLINE_TARGETS_S:
            cells["target_ms"] = HEADLINE_TARGETS_S[w] * 1e3
            cells["target_met"] = nc["median_s"] <= HEADLINE_TARGETS_S[w]
        for label, r in (("torch_cuda", tc), ("kymatio_torch", ky)):
            if r and "vs_numba_cuda" in r:
                cells[f"{label}_vs_numba_cuda"] = r["vs_numba_cuda"]
        table.append(cells)
    summary = {"table": table, "geomean_kymatio_over_numba_cuda": _geomean(vs_kym),
               "geomean_torch_over_numba_cuda": _geomean(vs_torch),
               "copy_rate_GBps": copy_gbps, "h200_reference_copy_GBps": H200_COPY_GBPS,
               "targets": {"numba_cuda >= 5x kymatio (geomean)": (_geomean(vs_kym) or 0) >= 5,
                           "numba_cuda faster than torch-cuda (geomean)":
                               (_geomean(vs_torch) or 0) > 1}}
    report.log(render(table) + f"\ngeomean Kymatio/numba_cuda: {_fmt(_geomean(vs_kym), 'x')}; "
               f"geomean torch-cuda/numba_cuda: {_fmt(_geomean(vs_torch), 'x')}; measured copy "
               f"rate {_fmt(copy_gbps, ' GB/s')} (H200 reference ~{H200_COPY_GBPS:.0f} GB/s)")
    return summary


def _fmt(v, unit=""):
    return "n/a" if v is None else (f"{v:.3g}{unit}" if abs(v) < 100 else f"{v:,.0f}{unit}")


def render(table) -> str:
    cols = [("workload", "workload"), ("numba_cuda_ms", "numba_cuda ms"),
            ("torch_cuda_ms", "torch-cuda ms"), ("kymatio_torch_ms", "kymatio ms"),
            ("kymatio_over_numba_cuda", "kym/nc"), ("torch_over_numba_cuda", "torch/nc"),
            ("numba_cuda_GBps", "nc GB/s"), ("target_ms", "target ms"),
            ("kymatio_torch_vs_numba_cuda", "kym diff"), ("torch_cuda_vs_numba_cuda", "torch diff")]
    lines = [[title for _, title in cols]]
    for cells in table:
        lines.append([cells[k] if isinstance(cells.get(k), str) else _fmt(cells.get(k))
                      for k, _ in cols])
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(cols))]
    return "\n".join("  ".join(str(c).rjust(w) for c, w in zip(line, widths, strict=True))
                     for line in lines)
