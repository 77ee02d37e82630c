"""The points of the scale benchmark: which transform, parameters, signal shape and batch.

Default sizes (every power of two in between):

- 1D ``Scattering1D``: ``N = 2**10 ... 2**22``, ``J = min(log2(N) - 2, 16)``, ``Q = 8``
  (audio-like: the averaging scale grows with the recording, up to ``2**16`` samples);
- 2D ``Scattering2D``: ``32² ... 2048²``, ``J = 3``, ``L = 8``;
- 3D ``HarmonicScattering3D``: ``32³ ... 256³``, ``J = 2``, ``L = 2``.

Batches: ``1`` and ``large``. The large batch of a size with ``n`` values per signal is
``min(256, LARGE_BATCH_VALUES // n)`` (``LARGE_BATCH_VALUES = 2**24``: 64 MiB of float32 input),
so small signals run 256 at a time and big ones few enough to stay feasible; a size where that
rule gives less than 2 (3D ``256³``) has no large-batch point.

Sizes are written ``N`` (1D length, 2D/3D side: ``512`` is ``512²`` in 2D), ``2^k``, or a
shape ``AxB`` / ``AxBxC``; ``A..B`` is every power of two from A to B, and a ``1d:`` / ``2d:`` /
``3d:`` prefix keeps a spec to one dimension (see :func:`parse_sizes`).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

__all__ = [
    "DEFAULT_SIZES",
    "LARGE_BATCH_VALUES",
    "MAX_LARGE_BATCH",
    "TRANSFORMS",
    "Point",
    "default_params",
    "large_batch",
    "parse_batches",
    "parse_sizes",
    "sweep_points",
]

TRANSFORMS = {1: "Scattering1D", 2: "Scattering2D", 3: "HarmonicScattering3D"}
#: Signal shapes per dimension of the full sweep.
DEFAULT_SIZES = {
    1: [(2 ** k,) for k in range(10, 23)],
    2: [(2 ** k,) * 2 for k in range(5, 12)],
    3: [(2 ** k,) * 3 for k in range(5, 9)],
}
LARGE_BATCH_VALUES = 2 ** 24
MAX_LARGE_BATCH = 256


@dataclass(frozen=True)
class Point:
    """One transform on a ``(batch, *shape)`` float32 input."""

    dim: int
    shape: tuple[int, ...]
    batch: int
    batch_kind: str  # '1', 'large' or the batch asked for explicitly
    params: dict = field(hash=False, compare=False)

    @property
    def transform(self) -> str:
        return TRANSFORMS[self.dim]

    @property
    def values(self) -> int:
        """Number of input values: ``batch * prod(shape)``."""
        return self.batch * math.prod(self.shape)

    @property
    def label(self) -> str:
        return f"{self.dim}D {'x'.join(map(str, self.shape))}"

    def to_dict(self) -> dict:
        return {"dim": self.dim, "transform": self.transform, "shape": list(self.shape),
                "batch": self.batch, "batch_kind": self.batch_kind, "values": self.values,
                "params": dict(self.params)}


def default_params(dim: int, shape: tuple[int, ...], J: int | None = None,
                   Q: int | None = None, L: int | None = None) -> dict:
    """Constructor parameters (``shape`` excluded) of a point; ``J``/``Q``/``L`` override."""
    if dim == 1:
        n = shape[0]
        j = J if J is not None else max(1, min(int(math.log2(n)) - 2, 16))
        return {"J": j, "Q": Q if Q is not None else 8}
    if dim == 2:
        return {"J": J if J is not None else 3, "L": L if L is not None else 8}
    if dim == 3:
        return {"J": J if J is not None else 2, "L": L if L is not None else 2}
    raise ValueError(f"dim must be 1, 2 or 3, got {dim!r}")


def large_batch(shape: tuple[int, ...], max_values: int = LARGE_BATCH_VALUES,
                max_batch: int = MAX_LARGE_BATCH) -> int:
    """The large batch of ``shape``: ``min(max_batch, max_values // prod(shape))`` (may be
    below 2, meaning no large-batch point)."""
    return min(max_batch, max_values // math.prod(shape))


_NUMBER = re.compile(r"^(\d+)(?:\^(\d+))?$")


def _number(text: str) -> int:
    match = _NUMBER.match(text)
    if not match:
        raise ValueError(f"--sizes: {text!r} is not a size (write 1024, 2^10 or 512x768)")
    base, exp = match.groups()
    value = int(base) ** int(exp) if exp else int(base)
    if value < 1:
        raise ValueError(f"--sizes: sizes must be >= 1, got {text!r}")
    return value


def _shapes(spec: str, dim: int) -> list[tuple[int, ...]]:
    if ".." in spec:
        lo_text, hi_text = spec.split("..", 1)
        lo, hi = _number(lo_text), _number(hi_text)
        if lo & (lo - 1) or hi & (hi - 1) or lo > hi:
            raise ValueError(f"--sizes: a range A..B needs powers of two A <= B, got {spec!r}")
        sides = [2 ** k for k in range(int(math.log2(lo)), int(math.log2(hi)) + 1)]
        return [(n,) * dim for n in sides]
    if "x" in spec:
        shape = tuple(_number(p) for p in spec.split("x"))
        return [shape] if len(shape) == dim else []
    return [(_number(spec),) * dim]


def parse_sizes(specs: list[str] | None, dims: list[int]) -> dict[int, list[tuple[int, ...]]]:
    """Signal shapes per dimension from ``--sizes`` items (``None``: the default sweep).

    ``'2^10..2^16'`` (every power of two: 1D lengths, 2D/3D sides), ``'512'`` (``512²`` in 2D),
    ``'512x768'`` (a 2D shape only), ``'2d:32..256'`` or ``'2d:32,512x768'`` (2D only: a
    prefix applies to its whole comma-separated list). Only the sizes written are
    run: a dimension that none of them matches is left out.
    """
    if not specs:
        return {d: list(DEFAULT_SIZES[d]) for d in dims}
    out: dict[int, list[tuple[int, ...]]] = {d: [] for d in dims}
    for item in specs:
        item = item.strip().lower()
        prefix, sep, rest = item.partition(":")
        if sep:
            if prefix not in ("1d", "2d", "3d"):
                raise ValueError(f"--sizes: prefix must be 1d:, 2d: or 3d:, got {item!r}")
            targets = [int(prefix[0])] if int(prefix[0]) in dims else []
        else:
            rest, targets = prefix, dims
        for spec in filter(None, (s.strip() for s in rest.split(","))):
            for d in targets:
                out[d] += [s for s in _shapes(spec, d) if s not in out[d]]
    for d in dims:
        out[d].sort(key=math.prod)
    return {d: shapes for d, shapes in out.items() if shapes}


def parse_batches(items: list[str] | None) -> list[str]:
    """``--batch`` items: ``'1'``, ``'large'`` or a positive int (default ``['1', 'large']``)."""
    if not items:
        return ["1", "large"]
    out = []
    for item in items:
        item = str(item).strip().lower()
        if item != "large" and not (item.isdigit() and int(item) >= 1):
            raise ValueError(f"--batch: each item must be a positive integer or 'large', "
                             f"got {item!r}")
        if item not in out:
            out.append(item)
    return out


def sweep_points(dims: list[int] | None = None, sizes: list[str] | None = None,
                 batches: list[str] | None = None, J: int | None = None, Q: int | None = None,
                 L: int | None = None, large_values: int = LARGE_BATCH_VALUES) -> list[Point]:
    """Every point of a sweep, by dimension, then size, then batch (small to large)."""
    dims = list(dict.fromkeys(dims or [1, 2, 3]))
    for d in dims:
        if d not in TRANSFORMS:
            raise ValueError(f"--dims: each dimension must be 1, 2 or 3, got {d!r}")
    if large_values < 1:
        raise ValueError(f"the large-batch value cap must be >= 1, got {large_values}")
    points = []
    for d, shapes in parse_sizes(sizes, dims).items():
        for shape in shapes:
            params = default_params(d, shape, J, Q, L)
            seen = set()
            for kind in parse_batches(batches):
                batch = large_batch(shape, large_values) if kind == "large" else int(kind)
                if batch < 1 or (kind == "large" and batch < 2) or batch in seen:
                    continue  # no large batch that fits the cap, or the same as another kind
                seen.add(batch)
                points.append(Point(d, shape, batch, kind, params))
    return points
