"""Test-suite wide setup: make tests/ importable (peer.py, helpers) and isolate user dirs."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory, monkeypatch):
    """Never read or write the real user's config and cache: each test gets its own."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    for var in ("NUMBASCAT_CONFIG", "NUMBASCAT_BACKEND", "NUMBASCAT_BACKEND_1D",
                "NUMBASCAT_BACKEND_2D", "NUMBASCAT_BACKEND_3D", "KYMATIO_BACKEND",
                "KYMATIO_BACKEND_1D", "KYMATIO_BACKEND_2D", "KYMATIO_BACKEND_3D"):
        monkeypatch.delenv(var, raising=False)
    # The numba backend's first small calls would otherwise run on the numpy reference (its
    # warm-up stand-in), and numba-against-numpy tests would compare numpy with itself.
    # tests/backends/test_numba_warmup.py tests the stand-in in fresh processes.
    monkeypatch.setenv("NUMBASCAT_NUMBA_WARMUP", "off")


# Hypothesis profiles: "ci" (default) keeps the suite fast; "long" is the documented soak run,
#   HYPOTHESIS_PROFILE=long NUMBASCAT_FFTW_PLANNER=estimate \
#       python -m pytest tests/test_properties.py tests/test_properties_frontends.py
try:
    import os

    from hypothesis import HealthCheck, settings

    settings.register_profile("ci", max_examples=12, deadline=None, derandomize=True,
                              suppress_health_check=[HealthCheck.too_slow])
    settings.register_profile("long", max_examples=3400, deadline=None,
                              suppress_health_check=list(HealthCheck))
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
except ImportError:  # hypothesis is a test extra; tests that need it import-skip
    pass
