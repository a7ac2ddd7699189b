"""Special functions numpy lacks, vectorized: ``erf``.

``erf`` uses the rational approximations of the Cephes library (S. L. Moshier), accurate to a
few units in the last place of float64::

    |x| < 1:      erf(x)  = x T(x^2) / U(x^2)
    1 <= |x| < 8: erfc(x) = exp(-x^2) P(|x|) / Q(|x|),   erf(x) = sign(x) (1 - erfc(|x|))
    |x| >= 8:     erf(x)  = sign(x)                      (erfc(8) < 1e-28)

Both branches run on the whole array (no shapes or Python branches that depend on the values,
so a captured step replays it), in the input's precision: float32 stays float32, where the same
coefficients give float32 accuracy; float16 is computed in float32.
"""
import numpy as np

__all__ = ["erf"]

_T = (9.60497373987051638749E0, 9.00260197203842689217E1, 2.23200534594684319226E3,
      7.00332514112805075473E3, 5.55923013010394962768E4)
_U = (1.0, 3.35617141647503099647E1, 5.21357949780152679795E2, 4.59432382970980127987E3,
      2.26290000613890934246E4, 4.92673942608635921086E4)
_P = (2.46196981473530512524E-10, 5.64189564831068821977E-1, 7.46321056442269912687E0,
      4.86371970985681366614E1, 1.96520832956077098242E2, 5.26445194995477358631E2,
      9.34528527171957607540E2, 1.02755188689515710272E3, 5.57535335369399327526E2)
_Q = (1.0, 1.32281951154744992508E1, 8.67072140885989742329E1, 3.54937778887819891062E2,
      9.75708501743205489753E2, 1.82390916687909736289E3, 2.24633760818710981792E3,
      1.65666309194161350182E3, 5.57535340817727675546E2)


def _polynomial(coefficients, x):
    """Horner's rule, highest power first, in place on one buffer."""
    out = np.full_like(x, coefficients[0])
    for c in coefficients[1:]:
        out *= x
        out += c
    return out


def erf(x):
    """The error function of an array (or number), elementwise; NaN stays NaN."""
    x = np.asanyarray(x)
    if x.ndim == 0:
        return erf(x.reshape(1))[0]
    dtype = np.result_type(x, np.float16)  # numpy's dtype for a float function of x
    x = x.astype(np.result_type(dtype, np.float32), copy=False)  # float16 works in float32
    a = np.abs(x)
    z = np.minimum(a, 1.0)
    inner = _polynomial(_T, z * z)
    inner *= z
    inner /= _polynomial(_U, z * z)
    b = np.clip(a, 1.0, 8.0)  # beyond 8, 1 - erfc rounds to 1 (and inf gives 1)
    outer = _polynomial(_P, b)
    outer /= _polynomial(_Q, b)
    np.multiply(b, b, out=b)
    np.negative(b, out=b)
    np.exp(b, out=b)
    outer *= b
    np.subtract(1.0, outer, out=outer)
    out = np.where(a < 1.0, inner, outer)  # NaN fails the test and stays NaN in outer
    return np.copysign(out, x, out=out).astype(dtype, copy=False)
