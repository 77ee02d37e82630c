"""Comparison of one drop-in case's results: Kymatio's (``ref``) against numbascat's (``ours``).

:func:`differences` returns a list of human-readable mismatches (empty when they agree):

- both raised: same exception type or a subclass (or the case's ``ours_error``), and
  numbascat's message
  starts with Kymatio's (or with the case's ``prefix``);
- both returned: same structure (containers, keys, tuple/list, torch vs numpy), same dtypes
  (or the case's ``dtype``), values equal to float32 tolerance (``1e-5 * max|ref|`` per array,
  NaN where Kymatio has NaN);
- a case marked ``deliberate`` may raise where Kymatio does not, or succeed where it raises.
"""
from __future__ import annotations

import numbers

import numpy as np

__all__ = ["differences"]

RTOL = 1e-5


def _compare(ref, ours, where, out, case):
    if isinstance(ref, tuple) and len(ref) == 2 and ref[0] in ("torch.Tensor", "backend"):
        if not (isinstance(ours, tuple) and len(ours) == 2 and ours[0] == ref[0]):
            out.append(f"{where}: Kymatio gives {ref[0]}, numbascat {type(ours).__name__}")
            return
        if ref[0] == "backend":
            return  # backend names differ by design (numbascat's default is numba)
        ref, ours = ref[1], ours[1]
    if isinstance(ref, dict):
        if not isinstance(ours, dict):
            out.append(f"{where}: dict expected, got {type(ours).__name__}")
            return
        if list(ref) != list(ours):
            out.append(f"{where}: keys {list(ref)[:8]} != {list(ours)[:8]}")
            return
        for k in ref:
            _compare(ref[k], ours[k], f"{where}[{k!r}]", out, case)
        return
    if isinstance(ref, list | tuple):
        if type(ref) is not type(ours) and not (isinstance(ours, list | tuple)
                                                and case.get("sequence_type_free")):
            out.append(f"{where}: {type(ref).__name__} expected, got {type(ours).__name__}")
            return
        if len(ref) != len(ours):
            out.append(f"{where}: length {len(ref)} != {len(ours)}")
            return
        for i, (a, b) in enumerate(zip(ref, ours, strict=True)):
            _compare(a, b, f"{where}[{i}]", out, case)
        return
    if isinstance(ref, np.ndarray):
        ours_arr = np.asarray(ours)
        if ref.shape != ours_arr.shape:
            out.append(f"{where}: shape {ref.shape} != {ours_arr.shape}")
            return
        want = np.dtype(case.get("dtype", ref.dtype))
        if ours_arr.dtype != want:
            out.append(f"{where}: dtype {ours_arr.dtype}, Kymatio {ref.dtype}")
        if ref.dtype.kind in "fc" and ref.size:
            if not np.array_equal(np.isnan(ref), np.isnan(ours_arr)):
                out.append(f"{where}: NaN positions differ")
                return
            ok = ~np.isnan(ref)
            scale = float(np.max(np.abs(ref[ok]), initial=0.0))
            err = float(np.max(np.abs(ref[ok] - ours_arr[ok]), initial=0.0))
            if err > RTOL * scale + 1e-30:
                out.append(f"{where}: max abs error {err:.3g} > {RTOL} * max|ref| {scale:.3g}")
        elif not np.array_equal(ref, ours_arr):
            out.append(f"{where}: values differ")
        return
    if isinstance(ref, float | np.floating) and isinstance(ours, numbers.Real):
        if not (np.isnan(ref) and np.isnan(ours)) and \
                abs(float(ref) - float(ours)) > RTOL * abs(float(ref)) + 1e-12:
            out.append(f"{where}: {ref!r} != {ours!r}")
        return
    if ref != ours:
        out.append(f"{where}: {ref!r} != {ours!r}")


def differences(case: dict, ref: dict, ours: dict) -> list[str]:
    """Mismatches between Kymatio's result ``ref`` and numbascat's ``ours`` for ``case``."""
    out: list[str] = []
    deliberate = case.get("deliberate")
    if "error" in ref:
        kind, message = ref["error"]
        if "error" not in ours:
            if not deliberate:
                out.append(f"Kymatio raised {kind}: {message!r}; numbascat did not")
            return out
        want = case.get("ours_error", kind)
        # numbascat may raise a subclass of Kymatio's type (e.g. an ImportError that is also
        # a ValueError).
        if want not in ours.get("error_bases", [ours["error"][0]]):
            out.append(f"numbascat raised {ours['error'][0]}: {ours['error'][1]!r}; expected "
                       f"{want} (Kymatio: {kind}: {message!r})")
        elif "ours_error" not in case:
            prefix = case.get("prefix", message)
            if not ours["error"][1].startswith(prefix):
                out.append(f"message {ours['error'][1]!r} does not start with Kymatio's "
                           f"{prefix!r}")
        return out
    if "error" in ours:
        if not deliberate or "ours_error" in case and ours["error"][0] != case["ours_error"]:
            out.append(f"numbascat raised {ours['error'][0]}: {ours['error'][1]!r} "
                       f"(at {ours.get('step')}); Kymatio did not")
        return out
    for key in ("attrs", "meta", "output_size", "output"):
        if key in ref or key in ours:
            if key not in ref or key not in ours:
                out.append(f"{key}: present in only one result")
                continue
            _compare(ref[key], ours[key], key, out, case)
    return out
