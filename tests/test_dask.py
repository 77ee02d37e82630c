"""numbascat.dask: lazy scattering of Dask arrays, and ``numbascat scatter --dask``."""
import numpy as np
import pytest

import numbascat.dask as nd
from numbascat.numpy import Scattering1D, Scattering2D

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")


def test_scatter_chunks_dtype_and_values():
    S = Scattering2D(2, (32, 32), L=4, backend="numpy")
    x = np.random.default_rng(0).standard_normal((5, 3, 32, 32)).astype(np.float32)
    dx = da.from_array(x, chunks=(2, 2, 16, 32))  # signal axes split on purpose
    y = nd.scatter(S, dx)
    assert y.shape == (5, 3, 25, 8, 8) and y.dtype == np.float32
    assert y.chunks == ((2, 2, 1), (2, 1), (25,), (8,), (8,))
    out = y.compute(scheduler="threads")
    np.testing.assert_array_equal(out, S(x))
    y64 = nd.scatter(S, da.from_array(x.astype(np.float64), chunks=(3, 3, 32, 32)))
    assert y64.dtype == np.float64 and y64.compute().dtype == np.float64


def test_spec_round_trip_1d():
    S = Scattering1D(5, 512, Q=(4, 2), backend="numpy")
    spec = nd.spec_of(S)
    rebuilt = spec.build()
    x = np.random.default_rng(1).standard_normal((2, 512))
    np.testing.assert_array_equal(rebuilt(x), S(x))
    with pytest.raises(TypeError, match="dask.array.Array"):
        nd.scatter(S, x)


def test_get_transform_builds_once_per_process():
    spec = nd.TransformSpec.make("numbascat.numpy:Scattering2D", J=1, shape=(8, 8), L=2,
                                 backend="numpy")
    before = nd.build_counts().get(spec.key, 0)
    assert nd.get_transform(spec) is nd.get_transform(spec)
    assert nd.build_counts()[spec.key] == before + 1 == 1


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=2, processes=True,
                                  dashboard_address=None) as c, distributed.Client(c) as client:
        yield c, client


def test_local_cluster_equals_single_process(cluster):
    _, client = cluster
    S = Scattering1D(5, 1024, Q=4, backend="numpy")
    x = np.random.default_rng(2).standard_normal((16, 1024)).astype(np.float32)
    y = nd.scatter(S, da.from_array(x, chunks=(2, 1024)))
    out = client.compute(y).result()
    # Same chunks -> same numbers, bit for bit.
    expected = np.concatenate([S(x[i:i + 2]) for i in range(0, 16, 2)])
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_allclose(out, S(x), rtol=1e-6, atol=1e-6 * np.abs(out).max())
    counts = client.run(nd.build_counts)  # {worker address: {spec key: n}}
    key = nd.spec_of(S).key
    per_worker = [c.get(key, 0) for c in counts.values()]
    assert max(per_worker) == 1 and sum(per_worker) >= 1, counts


def test_cli_dask_equals_local(cluster, tmp_path):
    from numbascat.cli import main

    c, _ = cluster
    d = tmp_path / "in"
    d.mkdir()
    rng = np.random.default_rng(3)
    for i in range(7):
        np.save(d / f"x{i}.npy", rng.standard_normal(512).astype(np.float32))
    np.save(d / "bad.npy", np.array(["not", "numbers"]))
    base = ["scatter", str(d), "--J", "4", "--backend", "numpy", "--quiet", "--batch-size", "2"]
    assert main([*base, "-o", str(tmp_path / "local.npz")]) == 1
    assert main([*base, "-o", str(tmp_path / "dask.npz"), "--dask",
                 "--scheduler", c.scheduler_address]) == 1
    with np.load(tmp_path / "local.npz") as a, np.load(tmp_path / "dask.npz") as b:
        np.testing.assert_array_equal(a["coefficients"], b["coefficients"])
        assert list(a["files"]) == list(b["files"]) and len(a["files"]) == 7
        assert list(a["failed"]) == list(b["failed"]) and "bad.npy" in str(b["failed"][0])


def test_spec_round_trip_main_semantics_and_jtfs():
    from numbascat.dask import spec_of
    from numbascat.numpy import Scattering1D, TimeFrequencyScattering

    x = np.random.default_rng(3).standard_normal((2, 512))
    for S in (Scattering1D(5, 512, 4, T="global", compat="main", backend="numpy"),
              Scattering1D(5, 512, 4, stride=8, out_type="list", compat="main",
                           backend="numpy"),
              TimeFrequencyScattering(5, 1, 4, 512, T=0, out_type="dict", backend="numpy")):
        rebuilt = spec_of(S).build()
        a, b = S(x), rebuilt(x)
        if isinstance(a, dict):
            a, b = list(a.values()), list(b.values())
        if isinstance(a, list):
            a = [e["coef"] if isinstance(e, dict) else e for e in a]
            b = [e["coef"] if isinstance(e, dict) else e for e in b]
        for u, v in zip(a if isinstance(a, list) else [a], b if isinstance(b, list) else [b],
                        strict=True):
            np.testing.assert_array_equal(u, v)
