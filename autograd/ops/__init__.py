"""The differentiable ops, one module per family; each op is defined once, with its derivative
beside it, and serves both ``Tensor`` and (where it has a scalar meaning) ``Value`` operands.

Each module's ``__all__`` lists its ops, and this package exports exactly those: an op added to
a module (and to that module's ``__all__``) is an ``autograd`` op.
"""
from . import (arithmetic, attention, convolution, elementwise, indexing, linalg, masking,
               normalization, pooling, probability, recurrent, reductions, shape)
from .arithmetic import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
from .convolution import *  # noqa: F401,F403
from .elementwise import *  # noqa: F401,F403
from .indexing import *  # noqa: F401,F403
from .linalg import *  # noqa: F401,F403
from .masking import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .probability import *  # noqa: F401,F403
from .recurrent import *  # noqa: F401,F403
from .reductions import *  # noqa: F401,F403
from .shape import *  # noqa: F401,F403

_FAMILIES = (arithmetic, elementwise, reductions, shape, indexing, masking, linalg, probability,
             normalization, attention, recurrent, convolution, pooling)
__all__ = [name for family in _FAMILIES for name in family.__all__]
