"""Steps, timeouts and the report of ``tools/gpu_check.py`` (log and JSON under ``OUT``)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import traceback
from pathlib import Path

#: The shortest timeout a step gets, even when the budget is spent (it then fails fast).
MIN_TIMEOUT_S = 5.0


def run_cmd(cmd, timeout, env=None, cwd=None) -> dict:
    """Run ``cmd`` in its own process group; on timeout kill that group (the command and every
    child it started). Returns rc, stdout, stderr, a tail of both, timed_out and seconds."""
    start = time.monotonic()
    try:
        proc = subprocess.Popen([str(c) for c in cmd], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env, cwd=cwd,
                                start_new_session=True)
    except OSError as exc:
        return {"rc": 127, "stdout": "", "stderr": str(exc), "tail": str(exc),
                "timed_out": False, "seconds": 0.0}
    timed_out = False
    try:
        stdout, stderr = proc.communicate(timeout=max(1.0, float(timeout)))
    except subprocess.TimeoutExpired:
        timed_out = True
        kill_group(proc)
        stdout, stderr = proc.communicate()
    tail = (stdout[-3000:] + ("\n" if stdout and stderr else "") + stderr[-3000:])
    return {"rc": 124 if timed_out else proc.returncode, "stdout": stdout, "stderr": stderr,
            "tail": tail, "timed_out": timed_out, "seconds": time.monotonic() - start}


def kill_group(proc) -> None:
    """SIGKILL the process group led by ``proc`` (started with ``start_new_session``)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class _Skip(Exception):
    pass


class _Fail(Exception):
    pass


class Step:
    """One step of the check: its timeout, details, and ``skip``/``fail`` to end it early."""

    def __init__(self, report, name, timeout, note=""):
        self.report, self.name, self.timeout, self.note = report, name, timeout, note
        self.detail: dict = {}
        self.status = "ok"
        self.reason = ""

    def skip(self, reason):
        raise _Skip(str(reason))

    def fail(self, reason):
        raise _Fail(str(reason))

    def __enter__(self):
        self.start = time.monotonic()
        self.report.log(f"== {self.name} (timeout {self.timeout:.0f} s{self.note})")
        return self

    def __exit__(self, kind, exc, tb):
        if isinstance(exc, _Skip):
            self.status, self.reason = "skipped", str(exc)
        elif isinstance(exc, _Fail):
            self.status, self.reason = "failed", str(exc)
        elif exc is not None:
            self.status = "failed"
            self.reason = f"{type(exc).__name__}: {exc}"
            self.detail["traceback"] = "".join(traceback.format_exception(kind, exc, tb))[-3000:]
            self.report.log(self.detail["traceback"])
        seconds = time.monotonic() - self.start
        self.report.data["steps"][self.name] = {"status": self.status, "reason": self.reason,
                                                "seconds": round(seconds, 2),
                                                "detail": self.detail}
        self.report.log(f"-- {self.name}: {self.status}{': ' + self.reason if self.reason else ''}"
                        f" ({seconds:.1f} s)")
        self.report.save()
        return exc is None or isinstance(exc, Exception)


class Report:
    """``OUT/gpu_check.log`` (also echoed) and ``OUT/gpu_check.json`` (saved after each step)."""

    def __init__(self, out: Path, deadline: float, simulate: bool):
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.deadline = deadline
        self.started = time.monotonic()
        self.log_path = self.out / "gpu_check.log"
        self.json_path = self.out / "gpu_check.json"
        self.log_path.write_text("")
        self.data: dict = {"simulate": simulate, "started_utc": time.strftime(
            "%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "steps": {}}

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def step(self, name, cap=None, reserve=0.0) -> Step:
        """A step whose timeout is ``cap``, cut to what the budget leaves after ``reserve``."""
        left = self.remaining() - reserve
        timeout = left if cap is None else min(cap, left)
        note = "" if cap is None or timeout >= cap else f", cut from {cap:.0f} s by the budget"
        return Step(self, name, max(MIN_TIMEOUT_S, timeout), note)

    def log(self, text: str) -> None:
        stamp = f"[{time.monotonic() - self.started:6.1f}s] "
        lines = "\n".join(stamp + ln for ln in str(text).splitlines() or [""])
        print(lines, flush=True)
        with open(self.log_path, "a") as f:
            f.write(lines + "\n")

    def log_block(self, title: str, res: dict, full: bool = False) -> None:
        body = (res["stdout"] + ("\n" + res["stderr"] if res["stderr"] else "")) if full \
            else res["tail"]
        state = "timed out" if res["timed_out"] else f"rc={res['rc']}"
        self.log(f"--- {title}: {state}, {res['seconds']:.1f} s\n{body.rstrip()}")

    def save(self) -> None:
        self.data["elapsed_s"] = round(time.monotonic() - self.started, 1)
        tmp = self.json_path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.data, indent=1, default=str))
        tmp.replace(self.json_path)

    def ok(self) -> bool:
        return all(s["status"] != "failed" for s in self.data["steps"].values())

    def finish(self) -> None:
        failed = [n for n, s in self.data["steps"].items() if s["status"] == "failed"]
        self.data["ok"] = not failed
        self.log(f"== done in {time.monotonic() - self.started:.1f} s; "
                 f"{'all steps ok' if not failed else 'failed steps: ' + ', '.join(failed)}; "
                 f"{self.json_path}")
        self.save()
