"""Sphinx configuration of the numbascat documentation.

Build from the repository root with warnings as errors (the README's command):

    python -m sphinx -W --keep-going -b html docs docs/_build/html

Local links only: ``python -m sphinx -W -b linkcheck docs docs/_build/linkcheck``.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Document (and run the gallery on) this checkout, even where another copy is installed.
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PYTHONPATH", str(ROOT))  # dask workers and subprocesses see it too
# FFT plans made with FFTW_ESTIMATE: measuring plans would dominate the gallery's run time on
# a small machine (the benchmark example's FFT floor replays the same plans, so its ratios
# stay meaningful).
os.environ.setdefault("NUMBASCAT_FFTW_PLANNER", "estimate")

import numbascat  # noqa: E402

project = "numbascat"
author = "numbascat developers"
copyright = "numbascat developers"
version = release = numbascat.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_copybutton",
    "sphinx_gallery.gen_gallery",
]

exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.json", "auto_examples/*.md5",
                    "sg_execution_times.rst"]
templates_path: list[str] = []
# Every cross-reference must resolve (with -W a broken one fails the build), except to the
# internal bases that the frontend classes are assembled from.
nitpicky = True
nitpick_ignore_regex = [
    ("py:class", r"numbascat\.scattering[123]d\.transform\.\w+Base"),
    ("py:class", r"numbascat\.frontends\.\w+\.\w+Frontend"),
]

# ---------------------------------------------------------------------------- autodoc / numpydoc
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"  # the numpydoc sections carry the types
autosummary_generate = False
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# No network at build time: intersphinx would fetch inventories, so it has none.
intersphinx_mapping: dict = {}

# ---------------------------------------------------------------------------- gallery
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    # a standalone script with its own command line, not a gallery page
    "ignore_pattern": r"digits_pipeline\.py",
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "show_memory": False,
    "image_scrapers": ("matplotlib",),
    "matplotlib_animations": False,
    "reset_modules": ("matplotlib",),
    "capture_repr": ("_repr_html_", "__repr__"),
    "write_computation_times": False,
}

# ---------------------------------------------------------------------------- linkcheck
# Only local targets are checked: CI machines have no network, and the point is broken
# internal references and anchors.
linkcheck_ignore = [r"https?://.*", r"mailto:.*"]
linkcheck_anchors = True

# ---------------------------------------------------------------------------- HTML
html_theme = "furo"
html_title = f"numbascat {release}"
html_static_path = ["_static"]
html_css_files = ["numbascat.css"]
html_theme_options = {"navigation_with_keys": True}
html_show_sourcelink = False
copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True
