"""Train torch models with lossbook's hand-derived gradients.

:func:`function` turns any registry entry into a callable built on a
``torch.autograd.Function`` whose forward is the entry's value function and whose backward is
its analytic ``_grad`` (a vector–Jacobian product, chained with the incoming gradient).
:class:`Loss` and :class:`Activation` wrap it as ``nn.Module`` s; :class:`PReLU` and
:class:`Swish` hold their learnable parameter. Nothing here uses autograd's own derivative of
the formula: if a ``_grad`` were wrong, training would be wrong.

Examples
--------
>>> import torch, lossbook.autograd as la
>>> x = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
>>> y = torch.tensor([0, 2, 1, 0])
>>> loss = la.function("cross_entropy")(x, y)      # doctest: +SKIP
>>> loss.backward()                                 # doctest: +SKIP
"""
from __future__ import annotations

import functools

import torch
from torch import nn
from torch.autograd.function import once_differentiable

from . import _validate
from .registry import get

__all__ = ["function", "apply", "LossbookFunction", "Loss", "Activation", "PReLU", "Swish"]


class LossbookFunction(torch.autograd.Function):
    """Forward: ``spec.value``; backward: ``spec.grad`` with ``grad_output``.

    Called as ``LossbookFunction.apply(spec, kwargs, *args)``. Non-tensor positional arguments
    (Python numbers) are passed through; gradients are returned for the tensors in
    ``spec.wrt`` that require them.
    """

    @staticmethod
    def forward(ctx, spec, kwargs, *args):
        ctx.spec, ctx.kwargs = spec, kwargs
        tensor_positions = [i for i, a in enumerate(args) if isinstance(a, torch.Tensor)]
        ctx.tensor_positions = tensor_positions
        ctx.others = [a if not isinstance(a, torch.Tensor) else None for a in args]
        ctx.save_for_backward(*[args[i] for i in tensor_positions])
        out = spec.value(*args, **kwargs)
        return out

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output):
        spec = ctx.spec
        args = list(ctx.others)
        for i, tensor in zip(ctx.tensor_positions, ctx.saved_tensors):
            args[i] = tensor
        needed = [ctx.needs_input_grad[2 + i] for i in spec.wrt]
        result = [None] * (2 + len(args))
        if not any(needed):
            return tuple(result)
        # The forward pass validated the inputs already.
        with _validate.validation(False):
            grads = spec.grads(*args, grad_output=grad_output, **ctx.kwargs)
        for index, grad, need in zip(spec.wrt, grads, needed):
            if need:
                result[2 + index] = grad
        return tuple(result)


def apply(name: str, *args, **kwargs):
    """Evaluate registry entry ``name`` with our analytic backward (see :func:`function`)."""
    return LossbookFunction.apply(get(name), kwargs, *args)


def function(name: str):
    """The registry entry ``name`` as a torch function whose backward is our ``_grad``.

    Parameters
    ----------
    name : str
        A canonical name of :data:`lossbook.REGISTRY`.

    Returns
    -------
    callable
        ``f(*args, **kwargs)`` with the signature of ``lossbook.<name>``.
    """
    spec = get(name)

    @functools.wraps(spec.value)
    def call(*args, **kwargs):
        return LossbookFunction.apply(spec, kwargs, *args)

    return call


class Loss(nn.Module):
    """A registry loss as an ``nn.Module``: ``Loss("huber_loss", delta=0.5)(input, target)``."""

    def __init__(self, name: str, **kwargs):
        super().__init__()
        self.spec = get(name)
        self.kwargs = kwargs

    def forward(self, *args):
        return LossbookFunction.apply(self.spec, self.kwargs, *args)

    def extra_repr(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.kwargs.items())
        return f"{self.spec.name!r}" + (f", {params}" if params else "")


class Activation(Loss):
    """A registry activation as an ``nn.Module``: ``Activation("gelu", approximate="tanh")``."""


class PReLU(nn.Module):
    """PReLU with a learnable slope (one shared, or one per channel), trained by our gradient."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25):
        super().__init__()
        self.weight = nn.Parameter(torch.full((num_parameters,), float(init)))

    def forward(self, input):
        return LossbookFunction.apply(get("prelu"), {}, input, self.weight.to(input.dtype))


class Swish(nn.Module):
    """Swish :math:`x\\sigma(\\beta x)` with a learnable :math:`\\beta`, trained by our gradient."""

    def __init__(self, beta: float = 1.0):
        super().__init__()
        self.beta = nn.Parameter(torch.tensor(float(beta)))

    def forward(self, input):
        return LossbookFunction.apply(get("swish"), {}, input, self.beta.to(input.dtype))
