"""lossbook: loss and activation functions with hand-derived, tested gradients.

Every function of the catalog is ``lossbook.<name>`` (value) and ``lossbook.<name>_grad``
(its vector–Jacobian product), runs on NumPy arrays and torch tensors, and is described by
``lossbook.REGISTRY[<name>]``. See :mod:`lossbook.autograd` to train torch models with these
gradients and :func:`lossbook.check` to test your own implementation against them.
"""
from ._backend import namespace
from ._reduction import reduce, upstream
from ._validate import validation
from .activations import *  # noqa: F401,F403
from .losses.embedding import *  # noqa: F401,F403
from .losses.imbalance import *  # noqa: F401,F403
from .losses.information import *  # noqa: F401,F403
from .losses.margin import *  # noqa: F401,F403
from .losses.regression import *  # noqa: F401,F403
from .registry import REGISTRY, get, names

__version__ = "0.1.0"


def __getattr__(name):
    # The student-facing checker lives in lossbook.checks; imported lazily (it pulls in torch).
    if name == "check":
        from .checks import check

        return check
    raise AttributeError(f"module 'lossbook' has no attribute {name!r}")
