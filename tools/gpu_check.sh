#!/usr/bin/env bash
# The whole GPU check in one call (see tools/gpu_check.py for the steps). On the GPU machine:
#
#   bash tools/fetch_gpu_wheels.sh          # first, where PyPI is reachable: fills tools/wheels
#   bash tools/gpu_check.sh                 # device run, carry ["tools/wheels"]; results in $OUT
#
# CPU rehearsal (numba's CUDA simulator, tiny workloads, torch/Kymatio on the CPU):
#   bash tools/gpu_check.sh --simulate --out /tmp/gpu-rehearsal
#
# The Python used is $GPU_CHECK_PYTHON, else the first of python3.12, python3, python that
# imports torch and numpy (else numpy only). A hard wall-clock limit ($GPU_CHECK_LIMIT_S, default 360 s) bounds the whole
# run; the driver's own budget (330 s) normally ends it first, with every step recorded.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2
pick_python() {
    # Prefer an interpreter that has torch (the GPU machine's stack), else any with numpy.
    local c probe
    for probe in "import numpy, torch" "import numpy"; do
        for c in ${GPU_CHECK_PYTHON:-} python3.12 python3 python; do
            if command -v "$c" >/dev/null 2>&1 && "$c" -c "$probe" >/dev/null 2>&1; then
                command -v "$c"; return 0
            fi
        done
    done
    return 1
}
PY="$(pick_python)" || { echo "gpu_check: no Python with numpy found" >&2; exit 2; }
echo "gpu_check: $PY ($("$PY" -c 'import sys; print(sys.version.split()[0])')), OUT=${OUT:-unset}"
timeout -k 10 "${GPU_CHECK_LIMIT_S:-360}" "$PY" tools/gpu_check.py "$@"
rc=$?
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    echo "gpu_check: killed by the ${GPU_CHECK_LIMIT_S:-360} s limit; partial results are in" \
         "gpu_check.json under the output folder" >&2
fi
exit "$rc"
