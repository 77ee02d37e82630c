"""Progress display for long commands: tqdm on a terminal, a plain fallback, silence in pipes."""
from __future__ import annotations

import sys
import time

__all__ = ["progress"]


class _Silent:
    def update(self, n: int = 1) -> None:
        pass

    def set_postfix_str(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass


class _Plain:
    """Minimal one-line display (files, throughput, ETA) when tqdm is not installed."""

    def __init__(self, total: int, desc: str, stream):
        self.total, self.desc, self.stream = total, desc, stream
        self.n, self.start, self.postfix, self._last = 0, time.perf_counter(), "", 0.0

    def _draw(self, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and now - self._last < 0.2:
            return
        self._last = now
        elapsed = now - self.start
        rate = self.n / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self.n) / rate if rate > 0 else float("nan")
        eta_text = f"{eta:.0f}s" if eta == eta else "?"
        self.stream.write(f"\r{self.desc}: {self.n}/{self.total} files, {rate:.1f} files/s, "
                          f"ETA {eta_text} {self.postfix}   ")
        self.stream.flush()

    def update(self, n: int = 1) -> None:
        self.n += n
        self._draw()

    def set_postfix_str(self, text: str) -> None:
        self.postfix = text

    def close(self) -> None:
        self._draw(force=True)
        self.stream.write("\n")
        self.stream.flush()


def progress(total: int, desc: str, enabled: bool = True, stream=None):
    """A progress bar over ``total`` files, or a silent stand-in.

    Shown only when ``enabled`` and ``stream`` (stderr by default) is a terminal; tqdm is used
    when installed (``pip install 'numbascat[cli]'``), else a plain one-line display.
    """
    stream = sys.stderr if stream is None else stream
    if not enabled or not getattr(stream, "isatty", lambda: False)():
        return _Silent()
    try:
        from tqdm import tqdm
    except ImportError:
        return _Plain(total, desc, stream)
    return tqdm(total=total, desc=desc, unit="file", file=stream, dynamic_ncols=True)
