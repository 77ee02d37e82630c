"""numbascat.scale_sweep: sizes, parameters, the large-batch rule and the size syntax."""
import pytest

from numbascat import scale_sweep as sw


def test_default_sweep_covers_the_sizes_of_the_issue():
    points = sw.sweep_points()
    shapes = {d: sorted({p.shape for p in points if p.dim == d}) for d in (1, 2, 3)}
    assert shapes[1] == [(2 ** k,) for k in range(10, 23)]
    assert shapes[2] == [(2 ** k, 2 ** k) for k in range(5, 12)]
    assert shapes[3] == [(n, n, n) for n in (32, 64, 128, 256)]
    # every size has batch 1; every size but 3D 256^3 has a large batch too
    assert sum(p.batch == 1 for p in points) == 13 + 7 + 4
    larges = {(p.dim, p.shape): p.batch for p in points if p.batch_kind == "large"}
    assert (3, (256, 256, 256)) not in larges and len(larges) == 13 + 7 + 3
    assert all(2 <= b <= 256 and b * (max(s) ** d) <= 2 ** 24 for (d, s), b in larges.items())


def test_large_batch_rule():
    assert sw.large_batch((1024,)) == 256  # capped at 256 signals
    assert sw.large_batch((2 ** 17,)) == 128
    assert sw.large_batch((2 ** 22,)) == 4
    assert sw.large_batch((2048, 2048)) == 4
    assert sw.large_batch((128,) * 3) == 8
    assert sw.large_batch((256,) * 3) == 1
    assert sw.large_batch((100,), max_values=1000, max_batch=5) == 5


def test_default_parameters_per_dimension():
    assert sw.default_params(1, (2 ** 10,)) == {"J": 8, "Q": 8}
    assert sw.default_params(1, (2 ** 18,)) == {"J": 16, "Q": 8}
    assert sw.default_params(1, (2 ** 22,)) == {"J": 16, "Q": 8}  # J capped at 16
    assert sw.default_params(1, (8,)) == {"J": 1, "Q": 8}
    assert sw.default_params(2, (64, 64)) == {"J": 3, "L": 8}
    assert sw.default_params(3, (32,) * 3) == {"J": 2, "L": 2}
    assert sw.default_params(2, (64, 64), J=2, L=4) == {"J": 2, "L": 4}
    assert sw.default_params(1, (1024,), J=5, Q=1) == {"J": 5, "Q": 1}
    with pytest.raises(ValueError, match="dim must be 1, 2 or 3"):
        sw.default_params(4, (8,) * 4)


def test_size_syntax():
    assert sw.parse_sizes(["2^8..2^10"], [1]) == {1: [(256,), (512,), (1024,)]}
    assert sw.parse_sizes(["16..32"], [2, 3]) == {2: [(16, 16), (32, 32)],
                                                 3: [(16,) * 3, (32,) * 3]}
    got = sw.parse_sizes(["1d:2^10", "2d:512x768,32", "3d:8"], [1, 2])
    assert got == {1: [(1024,)], 2: [(32, 32), (512, 768)]}  # 3D not selected; sorted by size
    assert sw.parse_sizes(["512x768"], [1, 2]) == {2: [(512, 768)]}  # a 2D shape only
    assert sw.parse_sizes(None, [3]) == {3: sw.DEFAULT_SIZES[3]}
    for bad, message in [("abc", "not a size"), ("3..9", "powers of two"),
                         ("64..32", "powers of two"), ("4d:8", "prefix must be"),
                         ("0", ">= 1")]:
        with pytest.raises(ValueError, match=message):
            sw.parse_sizes([bad], [1])


def test_batches_and_points():
    assert sw.parse_batches(None) == ["1", "large"]
    assert sw.parse_batches(["large", "4", "4"]) == ["large", "4"]
    with pytest.raises(ValueError, match="--batch: .*'cpu'"):
        sw.parse_batches(["cpu"])
    with pytest.raises(ValueError, match="--dims"):
        sw.sweep_points([4])
    points = sw.sweep_points([2], ["16"], ["1", "large", "256"], J=2)
    # 'large' is 256 signals here, the same point as the explicit 256: run once
    assert [(p.batch, p.batch_kind) for p in points] == [(1, "1"), (256, "large")]
    p = points[1]
    assert (p.transform, p.values, p.label, p.params) == \
        ("Scattering2D", 256 * 256, "2D 16x16", {"J": 2, "L": 8})
    assert p.to_dict()["shape"] == [16, 16] and p.to_dict()["values"] == 65536
    # no large batch when the cap allows fewer than 2 signals
    assert [p.batch for p in sw.sweep_points([1], ["2^10"], None, large_values=1500)] == [1]
