"""A branch-free e^t in plain arithmetic, so that numba's row loops vectorize.

pip's llvmlite has no vector math library: math.exp is a scalar call that stops a loop from
vectorizing. This version uses only +, * and bit moves, and stays within a few units in the last place
of libm over its whole domain (tests/test_numba_kernel.py): the tutorial's figures are reproduced to
the last printed digit. The row loops are bound by the latency of each row's chain of dependent
operations, so the polynomial is evaluated by Estrin's scheme, which shortens that chain. (The loss's
logarithms need no vector version: numba_fused takes them one per 512 rows, of products.)
"""

from .numba_config import jit
from .numba_intrinsics import bits_of_float, float_from_bits

_ROUND = 6755399441055744.0  # 1.5 * 2**52: x + _ROUND - _ROUND rounds x to an integer
_TWO52 = 4503599627370496.0  # 2**52: the mantissa of 2**52 + k holds the integer k in its low bits
_TWO52_BITS = 0x4330000000000000
_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01  # ln 2 split so that k * _LN2_HI is exact for |k| < 2**11
_LN2_LO = 1.90821492927058770002e-10
# e^r = 1 + r + r^2 q(r) on |r| <= ln2 / 2: q of degree 9 from a Chebyshev fit of degree 11
# (mpmath.chebyfit), error 3e-18. Full precision, not merely the 1e-9 the backends must agree to: the
# tutorial's printed figures are reproduced to the last digit, and a 1e-14 exp moved the last two.
_E2, _E3, _E4, _E5, _E6, _E7, _E8, _E9, _E10, _E11 = (
    0.5000000000000019,
    0.1666666666666668,
    0.0416666666664881,
    0.008333333333319601,
    0.0013888888952314775,
    0.00019841269890047113,
    2.4801485482328494e-05,
    2.755724091857897e-06,
    2.763263963904103e-07,
    2.5110037605963777e-08,
)


@jit(inline="always")
def _power_of_two(k):
    """2**k for an integer-valued float k in [-1022, 1023] (and 0.0 for k = -1023), built from its exponent bits."""
    return float_from_bits((bits_of_float(k + (1023.0 + _TWO52)) - _TWO52_BITS) << 52)


@jit(inline="always")
def exp_nonpositive(t):
    """e^t for t <= 0, within 3e-16 relative; results below 2**-1022 (t < -708) may flush to 0, which
    moves a row's loss or residual by less than 3e-308."""
    t = max(t, -746.0)  # keeps k in range (and t = -inf finite)
    k = (t * _LOG2E + _ROUND) - _ROUND  # nearest integer to t / ln 2
    r = (t - k * _LN2_HI) - k * _LN2_LO  # t = k ln2 + r, |r| <= ln2 / 2
    # Estrin's scheme: the row loop is bound by the latency of this chain, not by the number of operations
    r2 = r * r
    r4 = r2 * r2
    low = (_E2 + r * _E3) + r2 * (_E4 + r * _E5)
    high = (_E6 + r * _E7) + r2 * (_E8 + r * _E9)
    q = (low + r4 * high) + (r4 * r4) * (_E10 + r * _E11)
    return ((1.0 + r) + r2 * q) * _power_of_two(max(k, -1023.0))  # 2**-1023 has exponent bits 0: it is 0.0
