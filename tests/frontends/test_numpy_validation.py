"""numbascat.numpy: bad and unusual inputs (issue 9); the cases are in input_cases.py."""
from input_cases import FrontendInputChecks

import numbascat.numpy


class TestNumpyFrontendInputs(FrontendInputChecks):
    module = numbascat.numpy
    backends = ("numpy", "numba")
