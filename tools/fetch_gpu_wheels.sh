#!/usr/bin/env bash
# Download, on a machine with PyPI access, the wheels tools/gpu_check.sh installs on the GPU
# machine (Python 3.12, manylinux x86_64, no network there). They land in tools/wheels/
# (git-ignored); carry that folder with the device run: carry ["tools/wheels"].
#
#   numbascat side : pyFFTW (the CPU default backend), platformdirs, pytest and its deps
#   Kymatio peer   : kymatio 0.3.0, SciPy < 1.17 (Kymatio 0.3's 3D needs it), appdirs,
#                    configparser, packaging
#
# --no-deps everywhere: the GPU machine's numpy, torch, CuPy and numba are used as they are.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DEST="${1:-$HERE/wheels}"
PY="${PYTHON:-python3}"
# The GPU machine runs Python 3.12; GPU_WHEELS_PYTHON=3.11 fetches a set for a rehearsal here.
PYVER="${GPU_WHEELS_PYTHON:-3.12}"
ABI="cp${PYVER/./}"
LIMIT_MIB="${GPU_WHEELS_LIMIT_MIB:-60}"
mkdir -p "$DEST"

PLATFORMS=(--platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64
           --platform manylinux_2_28_x86_64)
BINARY=("pyfftw>=0.13" "scipy>=1.14,<1.17")
PURE=("kymatio==0.3.0" "appdirs" "configparser" "packaging" "platformdirs>=3"
      "pytest>=7" "pluggy" "iniconfig" "pygments")

"$PY" -m pip download --no-deps --only-binary=:all: --python-version "$PYVER" --implementation cp \
    --abi "$ABI" "${PLATFORMS[@]}" -d "$DEST" "${BINARY[@]}"
"$PY" -m pip download --no-deps --only-binary=:all: --python-version "$PYVER" -d "$DEST" "${PURE[@]}"

total_kib=$(du -sk "$DEST" | cut -f1)
echo "$DEST: $(ls "$DEST" | wc -l) wheels, $((total_kib / 1024)) MiB"
ls -1 "$DEST"
if (( total_kib > LIMIT_MIB * 1024 )); then
    echo "error: $DEST holds $((total_kib / 1024)) MiB, over the ${LIMIT_MIB} MiB budget of a" \
         "device carry (64 MiB in all): remove old wheels and rerun" >&2
    exit 1
fi
