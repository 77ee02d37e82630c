"""Fixtures shared by the backend tests."""
import pytest


@pytest.fixture
def fresh_fftw(monkeypatch, tmp_path):
    """FFTW plans, planner states and wisdom forgotten; wisdom and caches under ``tmp_path``."""
    pytest.importorskip("pyfftw")
    from numbascat.backends import fftw_plans, fftw_wisdom

    monkeypatch.setenv("NUMBASCAT_CACHE", str(tmp_path))
    monkeypatch.setattr(fftw_plans, "_settings", None)
    fftw_wisdom.reset()
    fftw_plans.clear_plans()
    yield tmp_path
    fftw_plans.clear_plans()
    fftw_wisdom.reset()
