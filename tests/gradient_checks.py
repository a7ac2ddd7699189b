"""Finite-difference gradient checks of whole layers and models."""
from autograd import gradcheck


def check_module_gradients(module, x):
    """gradcheck of ``module(x)`` with respect to ``x`` and every parameter of the module."""
    slots = [(owner, attr) for _, owner in module.named_modules() for attr in owner._parameters]
    originals = [getattr(owner, attr) for owner, attr in slots]

    def f(x, *params):
        for (owner, attr), p in zip(slots, params):
            object.__setattr__(owner, attr, p)  # the leaf itself, so gradients reach it
        try:
            return module(x)
        finally:
            for (owner, attr), p in zip(slots, originals):
                object.__setattr__(owner, attr, p)

    assert gradcheck(f, [x] + [p.data for p in originals])
