r"""Activation functions (catalog part A), each value function with its gradient below it.

Every ``<name>_grad`` is the vector–Jacobian product: it takes the arguments of ``<name>``
plus ``grad_output`` (ones by default) and returns what ``.grad`` holds after
``<name>(...).backward(grad_output)`` in PyTorch. For an element-wise map with the
default ``grad_output`` that is simply :math:`f'(x)`. Kink conventions are PyTorch's.
"""
from __future__ import annotations

import math

from . import _kit as kit
from ._backend import namespace
from ._kit import f64, real
from ._reduction import elementwise_upstream
from ._spec import Curve, Family, Kink, Param

__all__ = [
    "identity", "identity_grad", "sigmoid", "sigmoid_grad", "tanh", "tanh_grad",
    "relu", "relu_grad", "leaky_relu", "leaky_relu_grad", "prelu", "prelu_grad",
    "softmax", "softmax_grad", "log_softmax", "log_softmax_grad", "hardmax", "hardmax_grad",
    "softsign", "softsign_grad", "softplus", "softplus_grad", "logsigmoid", "logsigmoid_grad",
    "maxout", "maxout_grad", "swish", "swish_grad", "silu", "silu_grad", "elu", "elu_grad",
    "selu", "selu_grad", "gelu", "gelu_grad", "mish", "mish_grad", "hardsigmoid",
    "hardsigmoid_grad", "hardswish", "hardswish_grad", "hardtanh", "hardtanh_grad",
    "relu6", "relu6_grad", "softmax_jacobian",
    "celu", "celu_grad", "threshold", "threshold_grad", "hardshrink", "hardshrink_grad",
    "softshrink", "softshrink_grad", "tanhshrink", "tanhshrink_grad", "glu", "glu_grad",
    "softmin", "softmin_grad", "rrelu", "rrelu_grad", "logsumexp", "logsumexp_grad",
    "sparsemax", "sparsemax_grad", "squareplus", "squareplus_grad", "sparse_plus",
    "sparse_plus_grad", "sparse_sigmoid", "sparse_sigmoid_grad",
]

_SQRT2 = math.sqrt(2.0)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_GELU_CUBIC = 0.044715
#: SELU's constants (Klambauer et al. 2017), to the precision PyTorch uses.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _sum_to_shape(xp, g, shape):
    """Sum a broadcast gradient back to ``shape`` (the shape of a broadcast argument)."""
    shape = tuple(shape)
    while g.ndim > len(shape):
        g = xp.sum(g, axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and g.shape[axis] != 1:
            g = xp.sum(g, axis=axis, keepdims=True)
    return g


# --- A1 ---------------------------------------------------------------------------------
def identity(input):
    r"""Identity (linear) activation.

    .. math::

        f(x) = x

    Stacking linear layers with it collapses to one affine map:
    :math:`W_2(W_1x+b_1)+b_2 = (W_2W_1)x + (W_2b_1+b_2)`.

    Parameters
    ----------
    input : array_like
        Any shape (NumPy array or torch tensor).

    Returns
    -------
    array
        A copy of ``input``.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.identity(np.array([-1.5, 2.0]))
    array([-1.5,  2. ])
    """
    x = kit.floating(input, "input")
    return x * 1.0


def identity_grad(input, *, grad_output=None):
    r"""Gradient of :func:`identity`.

    .. math::

        f'(x) = 1
    """
    x = kit.floating(input, "input")
    return namespace(x).ones_like(x) * elementwise_upstream(x, grad_output)


# --- A2 ---------------------------------------------------------------------------------
def sigmoid(input):
    r"""Logistic sigmoid, mapping the real line onto :math:`(0, 1)`.

    .. math::

        \sigma(x) = \frac{1}{1 + e^{-x}}

    Parameters
    ----------
    input : array_like
        Any shape.

    Returns
    -------
    array
        Shaped like ``input``.

    Notes
    -----
    Evaluated piecewise (:math:`e^{x}/(1+e^{x})` for :math:`x<0`), so no positive number is
    exponentiated (on tensors torch's own kernel, which is stable too);
    :math:`1-\sigma(x)` should be computed as :math:`\sigma(-x)`.

    References
    ----------
    LeCun, Bottou, Orr & Müller, "Efficient BackProp", 1998.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.sigmoid(np.array([0.0, 2.0, -1000.0]))
    array([0.5       , 0.88079708, 0.        ])
    """
    x = kit.floating(input, "input")
    return namespace(x).sigmoid(x)


def sigmoid_grad(input, *, grad_output=None):
    r"""Gradient (VJP) of :func:`sigmoid`; its maximum is :math:`1/4`, at 0.

    .. math::

        \sigma'(x) = \sigma(x)\,\bigl(1 - \sigma(x)\bigr) = \sigma(x)\,\sigma(-x)
    """
    x = kit.floating(input, "input")
    xp = namespace(x)
    return xp.sigmoid(x) * xp.sigmoid(-x) * elementwise_upstream(x, grad_output)


# --- A3 ---------------------------------------------------------------------------------
def tanh(input):
    r"""Hyperbolic tangent, a rescaled sigmoid with range :math:`(-1, 1)`.

    .. math::

        \tanh x = \frac{e^{x}-e^{-x}}{e^{x}+e^{-x}} = 2\sigma(2x) - 1

    Parameters
    ----------
    input : array_like
        Any shape.

    Returns
    -------
    array
        Shaped like ``input``.

    Notes
    -----
    The library ``tanh`` is used: the textbook quotient overflows to ``nan`` for
    :math:`|x|\gtrsim 710`.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.tanh(np.array([0.0, 1.0, 1000.0]))
    array([0.        , 0.76159416, 1.        ])
    """
    x = kit.floating(input, "input")
    return namespace(x).tanh(x)


def tanh_grad(input, *, grad_output=None):
    r"""Gradient (VJP) of :func:`tanh`; its maximum is 1, at 0 (four times the sigmoid's).

    .. math::

        \tanh'(x) = 1 - \tanh^2 x
    """
    x = kit.floating(input, "input")
    t = namespace(x).tanh(x)
    return (1.0 - t * t) * elementwise_upstream(x, grad_output)


# --- A4 ---------------------------------------------------------------------------------
def relu(input):
    r"""Rectified linear unit.

    .. math::

        \operatorname{ReLU}(x) = \max(0, x)

    Parameters
    ----------
    input : array_like
        Any shape.

    Returns
    -------
    array
        Shaped like ``input``.

    References
    ----------
    Nair & Hinton, ICML 2010; Glorot, Bordes & Bengio, AISTATS 2011.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.relu(np.array([-2.0, 0.0, 3.0]))
    array([0., 0., 3.])
    """
    x = kit.floating(input, "input")
    return namespace(x).where(x > 0, x, 0.0)


def relu_grad(input, *, grad_output=None):
    r"""Gradient (VJP) of :func:`relu`; 0 at the kink :math:`x=0`, as in PyTorch.

    .. math::

        \operatorname{ReLU}'(x) = \mathbb 1[x > 0]
    """
    x = kit.floating(input, "input")
    return namespace(x).where(x > 0, 1.0, 0.0, like=x) * elementwise_upstream(x, grad_output)


# --- A5 ---------------------------------------------------------------------------------
def leaky_relu(input, negative_slope: float = 0.01):
    r"""Leaky ReLU: slope ``negative_slope`` for negative inputs.

    .. math::

        f(x) = \begin{cases} x & x > 0 \\ a\,x & x \le 0 \end{cases}

    Parameters
    ----------
    input : array_like
        Any shape.
    negative_slope : float, default 0.01
        :math:`a`. PyTorch's default; Keras layers default to 0.3.

    Returns
    -------
    array
        Shaped like ``input``.

    References
    ----------
    Maas, Hannun & Ng, ICML WDLASL 2013.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.leaky_relu(np.array([-2.0, 3.0]))
    array([-0.02,  3.  ])
    """
    x = kit.floating(input, "input")
    kit.number(negative_slope, "negative_slope")
    return namespace(x).where(x > 0, x, negative_slope * x)


def leaky_relu_grad(input, negative_slope: float = 0.01, *, grad_output=None):
    r"""Gradient (VJP) of :func:`leaky_relu`; ``negative_slope`` at 0, as in PyTorch.

    .. math::

        f'(x) = \begin{cases} 1 & x > 0 \\ a & x \le 0 \end{cases}
    """
    x = kit.floating(input, "input")
    kit.number(negative_slope, "negative_slope")
    return namespace(x).where(x > 0, 1.0, negative_slope, like=x) * elementwise_upstream(x, grad_output)


# --- A6 ---------------------------------------------------------------------------------
def _prelu_weight(x, weight):
    """``weight`` reshaped to broadcast over ``x`` (one slope, or one per channel = axis 1)."""
    xp = namespace(x)
    w = kit.same_kind(x, kit.floating(weight, "weight"), "input", "weight")
    n = kit.numel(w)
    if n == 1:
        return xp.reshape(w, (1,) * x.ndim)
    if w.ndim != 1 or x.ndim < 2 or w.shape[0] != x.shape[1]:
        raise ValueError(f"weight must hold 1 slope or one per channel (input axis 1); got shape "
                         f"{tuple(w.shape)} for input of shape {tuple(x.shape)}")
    return xp.reshape(w, (1, n) + (1,) * (x.ndim - 2))


def prelu(input, weight):
    r"""Parametric ReLU: a leaky ReLU whose negative slope :math:`a` is learned.

    .. math::

        f(x) = \begin{cases} x & x > 0 \\ a\,x & x \le 0 \end{cases}

    Parameters
    ----------
    input : array_like
        Shape ``(N, C, ...)`` or any shape when ``weight`` has one element.
    weight : array_like
        The slopes: one element (shared) or ``C`` (one per channel, axis 1 of ``input``).
        PyTorch initialises it to 0.25.

    Returns
    -------
    array
        Shaped like ``input``.

    Notes
    -----
    :math:`a` is a *learned parameter*, neither random nor a hyper-parameter; the random
    slope is RReLU (Xu et al. 2015).

    References
    ----------
    He, Zhang, Ren & Sun, "Delving Deep into Rectifiers", ICCV 2015, arXiv:1502.01852.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.prelu(np.array([[-2.0, 3.0]]), np.array([0.25]))
    array([[-0.5,  3. ]])
    """
    x = kit.floating(input, "input")
    w = _prelu_weight(x, weight)
    return namespace(x).where(x > 0, x, w * x)


def prelu_grad(input, weight, *, grad_output=None):
    r"""Gradients (VJP) of :func:`prelu` for ``input`` and ``weight``.

    .. math::

        \frac{\partial f}{\partial x} = \begin{cases} 1 & x > 0 \\ a & x \le 0 \end{cases}
        \qquad
        \frac{\partial f}{\partial a} = x\,\mathbb 1[x \le 0]

    The weight gradient is summed over every position that shares the slope. At
    :math:`x=0` the input gradient is :math:`a` and the weight gradient 0 (PyTorch).

    Returns
    -------
    (array, array)
        Shaped like ``input`` and like ``weight``.
    """
    x = kit.floating(input, "input")
    xp = namespace(x)
    w = _prelu_weight(x, weight)
    g = elementwise_upstream(x, grad_output)
    grad_x = xp.where(x > 0, 1.0, w) * g
    per_element = xp.where(x > 0, 0.0, x) * g
    if per_element.ndim >= 2 and w.ndim >= 2 and w.shape[1] > 1:
        axes = tuple(a for a in range(x.ndim) if a != 1)
        grad_w = xp.sum(per_element, axis=axes)
    else:
        grad_w = xp.sum(per_element)
    return grad_x, xp.reshape(grad_w, tuple(kit.floating(weight, "weight").shape))


def _map_input(input, dim):
    """The ``input`` of a normalising map and its ``dim`` checked as an axis of it, as the value
    and the gradient both check them (one path, so the two cannot drift apart)."""
    x = kit.floating(input, "input")
    if x.ndim == 0:
        raise ValueError("input must have at least one axis (the one dim normalises over), "
                         "got a scalar")
    return x, kit.axis(dim, "dim", x.ndim)


def _empty_along(x, dim) -> bool:
    """A zero-length ``dim``: the map has nothing to normalise and returns an empty result,
    as PyTorch does (``softmax`` of shape ``(5, 0, 0)`` along the last axis)."""
    return x.shape[dim] == 0 or any(n == 0 for n in x.shape)


# --- A7 ---------------------------------------------------------------------------------
def softmax(input, dim: int = -1):
    r"""Softmax: turns a vector of logits into a probability vector.

    .. math::

        \operatorname{softmax}(z)_i = \frac{e^{z_i}}{\sum_j e^{z_j}}

    Parameters
    ----------
    input : array_like
        Logits; softmax is taken along ``dim``.
    dim : int, default -1
        The class axis.

    Returns
    -------
    array
        Shaped like ``input``; non-negative, summing to 1 along ``dim``.

    Notes
    -----
    Invariant to :math:`z \mapsto z + c\mathbf 1`, so the maximum is subtracted first and
    nothing overflows. The input is never modified (the seed's code mutates it). With a
    temperature, :math:`\operatorname{softmax}(z/T) \to \operatorname{hardmax}(z)` as
    :math:`T \to 0^+`.

    References
    ----------
    Bridle, "Probabilistic interpretation of feedforward classification network outputs", 1990.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.softmax(np.array([1.0, 1.0, 1.0, 1.0]))
    array([0.25, 0.25, 0.25, 0.25])
    """
    x, dim = _map_input(input, dim)
    xp = namespace(x)
    if _empty_along(x, dim):
        return xp.zeros_like(x)
    e = xp.exp(x - xp.max(x, axis=dim, keepdims=True))
    return e / xp.sum(e, axis=dim, keepdims=True)


def softmax_grad(input, dim: int = -1, *, grad_output=None):
    r"""Vector–Jacobian product of :func:`softmax`.

    .. math::

        J^\top v = s \odot \bigl(v - \langle v, s\rangle\bigr),
        \qquad J = \operatorname{diag}(s) - s s^\top

    With the default ``grad_output`` (ones) the result is 0: the outputs always sum to 1.
    Pass the incoming gradient :math:`v`. :func:`softmax_jacobian` gives :math:`J` itself.
    """
    x, dim = _map_input(input, dim)
    xp = namespace(x)
    s = softmax(x, dim)
    v = elementwise_upstream(x, grad_output) * xp.ones_like(x)
    if _empty_along(x, dim):
        return xp.zeros_like(x)
    return s * (v - xp.sum(v * s, axis=dim, keepdims=True))


def softmax_jacobian(input):
    r"""The Jacobian :math:`\operatorname{diag}(s)-ss^\top` of :func:`softmax` of a 1-D ``input``.

    For teaching; :func:`softmax_grad` never forms it.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.softmax_jacobian(np.array([0.0, 0.0]))
    array([[ 0.25, -0.25],
           [-0.25,  0.25]])
    """
    x = kit.has_ndim(kit.floating(input, "input"), "input", "(C,) (1-D)", allowed=(1,))
    xp = namespace(x)
    s = softmax(x)
    eye = xp.one_hot(_arange(x), x.shape[0], s)
    return eye * s[None, :] - s[:, None] * s[None, :]


def _arange(like):
    """0..n-1 as an integer array of the same kind (and device) as ``like``."""
    import numpy as np

    idx = np.arange(like.shape[0])
    if namespace(like).name == "torch":
        import torch

        return torch.as_tensor(idx, device=like.device)
    return idx


# --- A8 ---------------------------------------------------------------------------------
def log_softmax(input, dim: int = -1):
    r"""Log-softmax, computed stably as :math:`z - \operatorname{logsumexp}(z)`.

    .. math::

        \operatorname{log\_softmax}(z)_i = z_i - \log\sum_j e^{z_j}

    Parameters
    ----------
    input : array_like
        Logits.
    dim : int, default -1
        The class axis.

    Returns
    -------
    array
        Shaped like ``input``.

    Notes
    -----
    Never compute ``log(softmax(z))``: a probability that underflows to 0 gives ``-inf``.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.log_softmax(np.array([0.0, 1000.0]))
    array([-1000.,     0.])
    """
    x, dim = _map_input(input, dim)
    if _empty_along(x, dim):
        return namespace(x).zeros_like(x)
    return namespace(x).log_softmax(x, axis=dim)


def log_softmax_grad(input, dim: int = -1, *, grad_output=None):
    r"""Vector–Jacobian product of :func:`log_softmax`.

    .. math::

        J^\top v = v - s \sum_i v_i, \qquad J = I - \mathbf 1 s^\top
    """
    x, dim = _map_input(input, dim)
    xp = namespace(x)
    v = elementwise_upstream(x, grad_output) * xp.ones_like(x)
    if _empty_along(x, dim):
        return xp.zeros_like(x)
    return v - softmax(x, dim) * xp.sum(v, axis=dim, keepdims=True)


# --- A9 ---------------------------------------------------------------------------------
def hardmax(input, dim: int = -1):
    r"""Hardmax: the one-hot vector of the largest logit (ties go to the first index).

    .. math::

        \operatorname{hardmax}(z) = e_{\arg\max_i z_i}

    Parameters
    ----------
    input : array_like
        Logits.
    dim : int, default -1
        The class axis.

    Returns
    -------
    array
        Shaped like ``input``, one-hot along ``dim``.

    Notes
    -----
    It is :math:`\lim_{T\to0^+}\operatorname{softmax}(z/T)` when the maximum is unique. Its
    gradient is 0 almost everywhere, so it cannot be trained directly (use a
    straight-through estimator or Gumbel-softmax). The ONNX ``Hardmax`` operator uses the
    same tie rule.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.hardmax(np.array([1.0, 3.0, 3.0]))
    array([0., 1., 0.])
    """
    x, dim = _map_input(input, dim)
    xp = namespace(x)
    if _empty_along(x, dim):
        return xp.zeros_like(x)
    moved = xp.moveaxis(x, dim, -1)
    out = xp.one_hot(xp.argmax(moved, axis=-1), moved.shape[-1], moved)
    return xp.moveaxis(out, -1, dim)


def hardmax_grad(input, dim: int = -1, *, grad_output=None):
    r"""Gradient of :func:`hardmax`: zero (it is piecewise constant; undefined at ties).

    .. math::

        \frac{\partial\,\operatorname{hardmax}(z)}{\partial z} = 0
    """
    x, dim = _map_input(input, dim)
    elementwise_upstream(x, grad_output)
    return namespace(x).zeros_like(x)


# --- A10 --------------------------------------------------------------------------------
def softsign(input):
    r"""Softsign: a sigmoid-shaped map with polynomial (not exponential) tails.

    .. math::

        f(x) = \frac{x}{1 + |x|}

    Parameters
    ----------
    input : array_like
        Any shape.

    Returns
    -------
    array
        Shaped like ``input``, in :math:`(-1, 1)`.

    References
    ----------
    Bergstra et al. 2009; Glorot & Bengio, AISTATS 2010.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.softsign(np.array([-1.0, 3.0]))
    array([-0.5 ,  0.75])
    """
    x = kit.floating(input, "input")
    return x / (1.0 + namespace(x).abs(x))


def softsign_grad(input, *, grad_output=None):
    r"""Gradient (VJP) of :func:`softsign`; :math:`C^1` at 0 with slope 1 there.

    .. math::

        f'(x) = \frac{1}{(1 + |x|)^2}
    """
    x = kit.floating(input, "input")
    d = 1.0 + namespace(x).abs(x)
    return elementwise_upstream(x, grad_output) / (d * d)


# --- A11 --------------------------------------------------------------------------------
def softplus(input, beta: float = 1.0, threshold: float = 20.0):
    r"""Softplus, a smooth ReLU; linear where :math:`\beta x` exceeds ``threshold`` (PyTorch).

    .. math::

        f(x) = \frac{1}{\beta}\log\bigl(1 + e^{\beta x}\bigr)

    Parameters
    ----------
    input : array_like
        Any shape.
    beta : float, default 1.0
        Sharpness; :math:`\beta\to\infty` gives ReLU.
    threshold : float, default 20.0
        Above :math:`\beta x >` ``threshold`` the function returns :math:`x`.

    Returns
    -------
    array
        Shaped like ``input``.

    Notes
    -----
    Computed as :math:`\max(\beta x,0)+\operatorname{log1p}(e^{-|\beta x|})` divided by
    :math:`\beta`, which never overflows.

    References
    ----------
    Dugas, Bengio, Bélisle, Nadeau & Garcia, NIPS 2000.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.softplus(np.array([0.0, 30.0]))
    array([ 0.69314718, 30.        ])
    """
    x = kit.floating(input, "input")
    kit.number(beta, "beta", "(0, inf)")
    kit.number(threshold, "threshold")
    xp = namespace(x)
    bx = beta * x
    return xp.where(bx > threshold, x, xp.softplus(bx) / beta)


def softplus_grad(input, beta: float = 1.0, threshold: float = 20.0, *, grad_output=None):
    r"""Gradient (VJP) of :func:`softplus`; exactly 1 in the linear regime (PyTorch).

    .. math::

        f'(x) = \sigma(\beta x)
    """
    x = kit.floating(input, "input")
    kit.number(beta, "beta", "(0, inf)")
    kit.number(threshold, "threshold")
    xp = namespace(x)
    bx = beta * x
    return xp.where(bx > threshold, 1.0, xp.sigmoid(bx)) * elementwise_upstream(x, grad_output)


# --- A12 --------------------------------------------------------------------------------
def logsigmoid(input):
    r"""Log of the sigmoid, computed as :math:`-\operatorname{softplus}(-x)`.

    .. math::

        \log\sigma(x) = -\log\bigl(1 + e^{-x}\bigr)

    Parameters
    ----------
    input : array_like
        Any shape.

    Returns
    -------
    array
        Shaped like ``input``; finite for every finite input (``log(sigmoid(x))`` gives
        ``-inf`` below about -745).

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.logsigmoid(np.array([0.0, -1000.0]))
    array([-6.93147181e-01, -1.00000000e+03])
    """
    x = kit.floating(input, "input")
    return namespace(x).logsigmoid(x)


def logsigmoid_grad(input, *, grad_output=None):
    r"""Gradient (VJP) of :func:`logsigmoid`.

    .. math::

        \frac{d}{dx}\log\sigma(x) = \sigma(-x) = 1 - \sigma(x)
    """
    x = kit.floating(input, "input")
    return namespace(x).sigmoid(-x) * elementwise_upstream(x, grad_output)


# --- A13 --------------------------------------------------------------------------------
def _maxout_groups(x, num_pieces):
    num_pieces = kit.number(num_pieces, "num_pieces", "[1, inf)", integer=True)
    if x.ndim == 0 or x.shape[-1] % num_pieces:
        raise ValueError(f"input's last axis must be a multiple of num_pieces={num_pieces}; "
                         f"got shape {tuple(x.shape)}")
    return namespace(x).reshape(x, tuple(x.shape[:-1]) + (x.shape[-1] // num_pieces, num_pieces))


def maxout(input, num_pieces: int = 2):
    r"""Maxout: the maximum over groups of ``num_pieces`` consecutive affine pieces.

    .. math::

        h_i = \max_{j \in \{1..k\}} z_{ij}

    Parameters
    ----------
    input : array_like
        The pieces :math:`z = xW + b`, shape ``(..., d * k)``; consecutive groups of
        :math:`k` = ``num_pieces`` entries of the last axis form one unit.
    num_pieces : int, default 2
        :math:`k`.

    Returns
    -------
    array
        Shape ``(..., d)``.

    Notes
    -----
    With :math:`k=2` and the second piece fixed to 0, maxout is ReLU of the first piece;
    pieces :math:`(z, az)` give a leaky ReLU and :math:`(z, -z)` give :math:`|z|`. Ties go to
    the first piece.

    References
    ----------
    Goodfellow et al., "Maxout Networks", ICML 2013, arXiv:1302.4389.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.maxout(np.array([1.0, -2.0, 0.5, 4.0]))
    array([1., 4.])
    """
    x = kit.floating(input, "input")
    return namespace(x).max(_maxout_groups(x, num_pieces), axis=-1)


def maxout_grad(input, num_pieces: int = 2, *, grad_output=None):
    r"""Vector–Jacobian product of :func:`maxout`: the incoming gradient goes to the winner.

    .. math::

        \frac{\partial h_i}{\partial z_{ij}} = \mathbb 1[j = j^*_i],
        \qquad j^*_i = \arg\max_j z_{ij}\ \text{(first on ties)}
    """
    x = kit.floating(input, "input")
    xp = namespace(x)
    groups = _maxout_groups(x, num_pieces)
    winner = xp.one_hot(xp.argmax(groups, axis=-1), groups.shape[-1], groups)
    out_shape = tuple(groups.shape[:-1])
    if grad_output is None:
        g = xp.ones_like(winner[..., 0])
    else:
        g = kit.has_shape(xp.asarray(grad_output, like=x), "grad_output", out_shape, " (the output's shape)")
    return xp.reshape(winner * g[..., None], tuple(x.shape))


# --- A14 --------------------------------------------------------------------------------
def _beta_like(x, beta):
    xp = namespace(x)
    if isinstance(beta, (int, float)):
        return xp.asarray(kit.number(beta, "beta"), like=x)
    return kit.same_kind(x, kit.floating(beta, "beta"), "input", "beta")


def swish(input, beta=1.0):
    r"""Swish, :math:`x\,\sigma(\beta x)`; SiLU is :math:`\beta = 1`.

    .. math::

        f(x) = x\,\sigma(\beta x)

    Parameters
    ----------
    input : array_like
        Any shape.
    beta : float or array_like, default 1.0
        Fixed or learnable (broadcast against ``input``); :math:`\beta\to\infty` gives ReLU,
        :math:`\beta=0` gives :math:`x/2`.

    Returns
    -------
    array
        Shaped like ``input``.

    Notes
    -----
    Non-monotone: for :math:`\beta=1` the minimum is at :math:`x^*=-1.27846`, where
    :math:`f=-0.27846`, and :math:`f'<0` left of it. Bounded below, unbounded above.

    References
    ----------
    Ramachandran, Zoph & Le, "Searching for Activation Functions", 2017, arXiv:1710.05941;
    Elfwing, Uchibe & Doya 2017, arXiv:1702.03118.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.swish(np.array([-1.27846, 2.0]))
    array([-0.27846454,  1.76159416])
    """
    x = kit.floating(input, "input")
    b = _beta_like(x, beta)
    return x * namespace(x).sigmoid(b * x)


def swish_grad(input, beta=1.0, *, grad_output=None):
    r"""Gradients (VJP) of :func:`swish` for ``input`` and ``beta``.

    .. math::

        \frac{\partial f}{\partial x} = \sigma(\beta x) + \beta x\,\sigma(\beta x)\bigl(1-\sigma(\beta x)\bigr),
        \qquad
        \frac{\partial f}{\partial \beta} = x^2\,\sigma(\beta x)\bigl(1-\sigma(\beta x)\bigr)

    Returns
    -------
    (array, array)
        Shaped like ``input`` and like ``beta`` (0-d for a Python float).
    """
    x = kit.floating(input, "input")
    xp = namespace(x)
    b = _beta_like(x, beta)
    g = elementwise_upstream(x, grad_output)
    s = xp.sigmoid(b * x)
    slope = s * xp.sigmoid(-b * x)
    grad_x = (s + b * x * slope) * g
    grad_b = _sum_to_shape(xp, x * x * slope * g * xp.ones_like(x), tuple(b.shape))
    return grad_x, grad_b


def silu(input):
    r"""SiLU, the sigmoid-weighted linear unit: :func:`swish` with :math:`\beta = 1`.

    .. math::

        \operatorname{SiLU}(x) = x\,\sigma(x)

    Parameters
    ----------
    input : array_like
        Any shape.

    Returns
    -------
    array
        Shaped like ``input``.

    References
    ----------
    Hendrycks & Gimpel 2016, arXiv:1606.08415; Elfwing et al. 2017, arXiv:1702.03118.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.silu(np.array([0.0, 1.0]))
    array([0.        , 0.73105858])
    """
    return swish(input, 1.0)


def silu_grad(input, *, grad_output=None):
    r"""Gradient (VJP) of :func:`silu`, the input part of :func:`swish_grad` at :math:`\beta=1`.

    .. math::

        \operatorname{SiLU}'(x) = \sigma(x)\bigl(1 + x\,(1-\sigma(x))\bigr)
    """
    return swish_grad(input, 1.0, grad_output=grad_output)[0]


# --- A15 --------------------------------------------------------------------------------
def elu(input, alpha: float = 1.0):
    r"""Exponential linear unit.

    .. math::

        f(x) = \begin{cases} x & x > 0 \\ \alpha\,(e^{x} - 1) & x \le 0 \end{cases}

    Parameters
    ----------
    input : array_like
        Any shape.
    alpha : float, default 1.0
        Saturation value :math:`-\alpha` for :math:`x\to-\infty`.

    Returns
    -------
    array
        Shaped like ``input``.

    Notes
    -----
    Uses ``expm1`` on :math:`\min(x, 0)`, so the unused branch never overflows.

    References
    ----------
    Clevert, Unterthiner & Hochreiter, ICLR 2016, arXiv:1511.07289.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.elu(np.array([-1.0, 2.0]))
    array([-0.63212056,  2.        ])
    """
    x = kit.floating(input, "input")
    kit.number(alpha, "alpha")
    xp = namespace(x)
    return xp.where(x > 0, x, alpha * xp.expm1(xp.minimum(x, 0.0)))


def elu_grad(input, alpha: float = 1.0, *, grad_output=None):
    r"""Gradient (VJP) of :func:`elu`; the negative branch (:math:`\alpha`) at 0, as in PyTorch.

    .. math::

        f'(x) = \begin{cases} 1 & x > 0 \\ \alpha\,e^{x} & x \le 0 \end{cases}
    """
    x = kit.floating(input, "input")
    kit.number(alpha, "alpha")
    xp = namespace(x)
    return xp.where(x > 0, 1.0, alpha * xp.exp(xp.minimum(x, 0.0))) * elementwise_upstream(x, grad_output)


# --- A16 --------------------------------------------------------------------------------
def selu(input):
    r"""Scaled ELU with the self-normalising constants :math:`\lambda, \alpha`.

    .. math::

        f(x) = \lambda\begin{cases} x & x > 0 \\ \alpha\,(e^{x} - 1) & x \le 0 \end{cases},
        \quad \lambda \approx 1.0507,\ \alpha \approx 1.6733

    Parameters
    ----------
    input : array_like
        Any shape.

    Returns
    -------
    array
        Shaped like ``input``.

    References
    ----------
    Klambauer, Unterthiner, Mayr & Hochreiter, "Self-Normalizing Neural Networks",
    NeurIPS 2017, arXiv:1706.02515.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.selu(np.array([-1.0, 1.0]))
    array([-1.11133074,  1.05070099])
    """
    return SELU_SCALE * elu(input, SELU_ALPHA)


def selu_grad(input, *, grad_output=None):
    r"""Gradient (VJP) of :func:`selu`; :math:`\lambda\alpha` at 0 (negative branch, PyTorch).

    .. math::

        f'(x) = \lambda\begin{cases} 1 & x > 0 \\ \alpha\,e^{x} & x \le 0 \end{cases}
    """
    return SELU_SCALE * elu_grad(input, SELU_ALPHA, grad_output=grad_output)


# --- A17 --------------------------------------------------------------------------------
def gelu(input, approximate: str = "none"):
    r"""Gaussian error linear unit, :math:`x\,\Phi(x)`, exact or with the tanh approximation.

    .. math::

        \operatorname{GELU}(x) = x\,\Phi(x) = \tfrac12 x\Bigl(1 + \operatorname{erf}\bigl(x/\sqrt2\bigr)\Bigr)

    Parameters
    ----------
    input : array_like
        Any shape.
    approximate : {'none', 'tanh'}, default 'none'
        ``'tanh'`` uses :math:`\tfrac12x\bigl(1+\tanh(\sqrt{2/\pi}\,(x+0.044715x^3))\bigr)`.

    Returns
    -------
    array
        Shaped like ``input``.

    Notes
    -----
    Non-monotone: minimum :math:`-0.16997` at :math:`x=-0.75179`.

    References
    ----------
    Hendrycks & Gimpel, "Gaussian Error Linear Units (GELUs)", 2016, arXiv:1606.08415.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.gelu(np.array([-0.75179, 1.0]))
    array([-0.16997121,  0.84134475])
    """
    x = kit.floating(input, "input")
    kit.choice(approximate, "approximate", ("none", "tanh"))
    xp = namespace(x)
    if approximate == "tanh":
        return 0.5 * x * (1.0 + xp.tanh(_SQRT_2_OVER_PI * (x + _GELU_CUBIC * x * x * x)))
    return 0.5 * x * (1.0 + xp.erf(x / _SQRT2))


def gelu_grad(input, approximate: str = "none", *, grad_output=None):
    r"""Gradient (VJP) of :func:`gelu`.

    .. math::

        \operatorname{GELU}'(x) = \Phi(x) + x\,\varphi(x)

    For ``approximate='tanh'``, with :math:`u=\sqrt{2/\pi}\,(x+0.044715x^3)`:
    :math:`\tfrac12(1+\tanh u)+\tfrac12 x(1-\tanh^2u)\sqrt{2/\pi}\,(1+3\cdot0.044715x^2)`.
    """
    x = kit.floating(input, "input")
    kit.choice(approximate, "approximate", ("none", "tanh"))
    xp = namespace(x)
    g = elementwise_upstream(x, grad_output)
    if approximate == "tanh":
        t = xp.tanh(_SQRT_2_OVER_PI * (x + _GELU_CUBIC * x * x * x))
        du = _SQRT_2_OVER_PI * (1.0 + 3.0 * _GELU_CUBIC * x * x)
        return (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du) * g
    cdf = 0.5 * (1.0 + xp.erf(x / _SQRT2))
    pdf = _INV_SQRT_2PI * xp.exp(-0.5 * x * x)
    return (cdf + x * pdf) * g


# --- A18 --------------------------------------------------------------------------------
def mish(input):
    r"""Mish, :math:`x\tanh(\operatorname{softplus}(x))`.

    .. math::

        f(x) = x\,\tanh\bigl(\log(1 + e^{x})\bigr)

    Parameters
    ----------
    input : array_like
        Any shape.

    Returns
    -------
    array
        Shaped like ``input``.

    Notes
    -----
    Non-monotone: minimum :math:`-0.30884` at :math:`x=-1.19243`.

    References
    ----------
    Misra, "Mish: A Self Regularized Non-Monotonic Activation Function", BMVC 2020,
    arXiv:1908.08681.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.mish(np.array([-1.19243, 1.0]))
    array([-0.30884341,  0.86509839])
    """
    x = kit.floating(input, "input")
    xp = namespace(x)
    return x * xp.tanh(xp.softplus(x))


def mish_grad(input, *, grad_output=None):
    r"""Gradient (VJP) of :func:`mish`.

    .. math::

        f'(x) = \tanh(\operatorname{sp}(x)) + x\,\operatorname{sech}^2(\operatorname{sp}(x))\,\sigma(x)
    """
    x = kit.floating(input, "input")
    xp = namespace(x)
    t = xp.tanh(xp.softplus(x))
    return (t + x * (1.0 - t * t) * xp.sigmoid(x)) * elementwise_upstream(x, grad_output)


# --- A19 --------------------------------------------------------------------------------
def hardsigmoid(input):
    r"""Hard sigmoid, the piecewise-linear sigmoid of PyTorch and Keras 3.

    .. math::

        f(x) = \frac{\operatorname{ReLU6}(x + 3)}{6} = \operatorname{clip}\Bigl(\frac{x}{6} + \frac12,\,0,\,1\Bigr)

    Parameters
    ----------
    input : array_like
        Any shape.

    Returns
    -------
    array
        Shaped like ``input``.

    Notes
    -----
    ``tf.keras`` up to 2.15 used :math:`\operatorname{clip}(0.2x+0.5, 0, 1)` instead; at
    :math:`x=1` the two give 0.6667 and 0.7.

    References
    ----------
    Howard et al., "Searching for MobileNetV3", ICCV 2019, arXiv:1905.02244.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.hardsigmoid(np.array([-4.0, 1.0, 4.0]))
    array([0.        , 0.66666667, 1.        ])
    """
    x = kit.floating(input, "input")
    return namespace(x).clip(x / 6.0 + 0.5, 0.0, 1.0)


def hardsigmoid_grad(input, *, grad_output=None):
    r"""Gradient (VJP) of :func:`hardsigmoid`; 0 at :math:`\pm3` (PyTorch).

    .. math::

        f'(x) = \tfrac16\,\mathbb 1[-3 < x < 3]
    """
    x = kit.floating(input, "input")
    xp = namespace(x)
    return xp.where((x > -3.0) & (x < 3.0), 1.0 / 6.0, 0.0, like=x) * elementwise_upstream(x, grad_output)


# --- A20 --------------------------------------------------------------------------------
def hardswish(input):
    r"""Hard swish, :math:`x` times :func:`hardsigmoid`.

    .. math::

        f(x) = x\,\frac{\operatorname{ReLU6}(x + 3)}{6}

    Parameters
    ----------
    input : array_like
        Any shape.

    Returns
    -------
    array
        Shaped like ``input``.

    References
    ----------
    Howard et al., "Searching for MobileNetV3", ICCV 2019, arXiv:1905.02244.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.hardswish(np.array([-4.0, 1.0, 4.0]))
    array([-0.        ,  0.66666667,  4.        ])
    """
    x = kit.floating(input, "input")
    return x * namespace(x).clip(x / 6.0 + 0.5, 0.0, 1.0)


def hardswish_grad(input, *, grad_output=None):
    r"""Gradient (VJP) of :func:`hardswish`; at the kinks :math:`\pm3` the outer pieces'
    slopes, :math:`f'(-3)=0` and :math:`f'(3)=1`, as PyTorch 2.13 (the version this book pins).

    .. math::

        f'(x) = \begin{cases} 0 & x \le -3 \\ \frac{2x + 3}{6} & -3 < x < 3 \\ 1 & x \ge 3 \end{cases}

    Notes
    -----
    The one-sided derivatives are :math:`0, -\tfrac12` at :math:`-3` and :math:`\tfrac32, 1` at
    :math:`3`. Older ATen CPU kernels used the middle piece on the closed interval
    (:math:`-\tfrac12` and :math:`\tfrac32`), as the catalog states; the pinned PyTorch
    returns 0 and 1, which the tests assert against the installed torch.
    """
    x = kit.floating(input, "input")
    xp = namespace(x)
    d = xp.where(x <= -3.0, 0.0, xp.where(x < 3.0, x / 3.0 + 0.5, 1.0))
    return d * elementwise_upstream(x, grad_output)


def _hardtanh_bounds(min_val, max_val):
    kit.number(min_val, "min_val")
    if not min_val < kit.number(max_val, "max_val"):
        raise ValueError(f"max_val must be greater than min_val, got min_val={min_val} and max_val={max_val}")


def hardtanh(input, min_val: float = -1.0, max_val: float = 1.0):
    r"""Hard tanh: the identity clipped to ``[min_val, max_val]``.

    .. math::

        f(x) = \operatorname{clip}(x, a, b)

    Parameters
    ----------
    input : array_like
        Any shape.
    min_val, max_val : float, default -1.0, 1.0
        :math:`a < b`.

    Returns
    -------
    array
        Shaped like ``input``.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.hardtanh(np.array([-2.0, 0.5, 2.0]))
    array([-1. ,  0.5,  1. ])
    """
    x = kit.floating(input, "input")
    _hardtanh_bounds(min_val, max_val)
    return namespace(x).clip(x, min_val, max_val)


def hardtanh_grad(input, min_val: float = -1.0, max_val: float = 1.0, *, grad_output=None):
    r"""Gradient (VJP) of :func:`hardtanh`; 0 at both boundaries (PyTorch).

    .. math::

        f'(x) = \mathbb 1[a < x < b]
    """
    x = kit.floating(input, "input")
    _hardtanh_bounds(min_val, max_val)
    xp = namespace(x)
    return xp.where((x > min_val) & (x < max_val), 1.0, 0.0, like=x) * elementwise_upstream(x, grad_output)


def relu6(input):
    r"""ReLU capped at 6: :func:`hardtanh` on :math:`[0, 6]`.

    .. math::

        \operatorname{ReLU6}(x) = \min(\max(0, x), 6)

    Parameters
    ----------
    input : array_like
        Any shape.

    Returns
    -------
    array
        Shaped like ``input``.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.relu6(np.array([-1.0, 3.0, 7.0]))
    array([0., 3., 6.])
    """
    return hardtanh(input, 0.0, 6.0)


def relu6_grad(input, *, grad_output=None):
    r"""Gradient (VJP) of :func:`relu6`; 0 at 0 and at 6 (PyTorch).

    .. math::

        \operatorname{ReLU6}'(x) = \mathbb 1[0 < x < 6]
    """
    return hardtanh_grad(input, 0.0, 6.0, grad_output=grad_output)


# --- A+ : the rest of torch.nn.functional and Keras 3 (issue 17) -----------------------
def celu(input, alpha: float = 1.0):
    r"""Continuously differentiable ELU: ELU with its exponential rescaled by :math:`\alpha`.

    .. math::

        f(x) = \max(0, x) + \min\bigl(0,\ \alpha\,(e^{x/\alpha} - 1)\bigr)

    Parameters
    ----------
    input : array_like
        Any shape.
    alpha : float > 0, default 1.0
        Saturation value :math:`-\alpha`; unlike :func:`elu`, the slope at 0 is 1 for every
        :math:`\alpha`, so the derivative is continuous.

    Returns
    -------
    array
        Shaped like ``input``.

    Notes
    -----
    ``alpha=1`` is :func:`elu` with ``alpha=1``. Keras's ``keras.activations.celu(x, alpha)``
    is the same function. PyTorch's backward rounds :math:`1/\alpha` through float32
    (``1.0 / alpha.toFloat()``), so for an :math:`\alpha` float32 cannot hold (0.3) its
    gradient is about :math:`10^{-8}` (relative) off :math:`e^{x/\alpha}`; ours is exact.

    References
    ----------
    Barron, "Continuously Differentiable Exponential Linear Units", 2017, arXiv:1704.07483.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.celu(np.array([-1.0, 2.0]), alpha=2.0)
    array([-0.78693868,  2.        ])
    """
    x = kit.floating(input, "input")
    alpha = kit.number(alpha, "alpha", "(0, inf)")
    xp = namespace(x)
    return xp.where(x > 0, x, alpha * xp.expm1(xp.minimum(x, 0.0) / alpha))


def celu_grad(input, alpha: float = 1.0, *, grad_output=None):
    r"""Gradient (VJP) of :func:`celu`; continuous, 1 at 0 from both sides.

    .. math::

        f'(x) = \begin{cases} 1 & x > 0 \\ e^{x/\alpha} & x \le 0 \end{cases}
    """
    x = kit.floating(input, "input")
    alpha = kit.number(alpha, "alpha", "(0, inf)")
    xp = namespace(x)
    return xp.where(x > 0, 1.0, xp.exp(xp.minimum(x, 0.0) / alpha)) * elementwise_upstream(x, grad_output)


def threshold(input, threshold, value):
    r"""Threshold: keep :math:`x` above ``threshold``, replace it by ``value`` elsewhere.

    .. math::

        f(x) = \begin{cases} x & x > \theta \\ v & x \le \theta \end{cases}

    Parameters
    ----------
    input : array_like
        Any shape.
    threshold : float
        :math:`\theta` (required, as in ``F.threshold``).
    value : float
        :math:`v`, what replaces :math:`x \le \theta` (required).

    Returns
    -------
    array
        Shaped like ``input``.

    Notes
    -----
    ``threshold(x, 0, 0)`` is :func:`relu`. The function jumps at :math:`\theta` unless
    :math:`v = \theta`; the gradient there is 0 (PyTorch's backward tests :math:`x > \theta`).
    Keras has ``keras.activations.threshold(x, threshold, default_value)``, the same map.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.threshold(np.array([-1.0, 0.5, 2.0]), 0.5, -3.0)
    array([-3., -3.,  2.])
    """
    x = kit.floating(input, "input")
    theta, v = kit.number(threshold, "threshold"), kit.number(value, "value")
    return namespace(x).where(x > theta, x, v)


def threshold_grad(input, threshold, value, *, grad_output=None):
    r"""Gradient (VJP) of :func:`threshold`; 0 at :math:`x = \theta` (PyTorch).

    .. math::

        f'(x) = \mathbb 1[x > \theta]
    """
    x = kit.floating(input, "input")
    theta = kit.number(threshold, "threshold")
    kit.number(value, "value")
    return namespace(x).where(x > theta, 1.0, 0.0, like=x) * elementwise_upstream(x, grad_output)


def hardshrink(input, lambd: float = 0.5):
    r"""Hard shrinkage: zero inside :math:`[-\lambda, \lambda]`, the identity outside.

    .. math::

        f(x) = \begin{cases} x & |x| > \lambda \\ 0 & |x| \le \lambda \end{cases}

    Parameters
    ----------
    input : array_like
        Any shape.
    lambd : float >= 0, default 0.5
        :math:`\lambda` (PyTorch's spelling: ``lambda`` is a Python keyword).

    Returns
    -------
    array
        Shaped like ``input``.

    Notes
    -----
    The proximal operator of the :math:`\ell_0` penalty (hard thresholding of wavelet
    coefficients). It jumps at :math:`\pm\lambda`; the gradient there is 0 (PyTorch's
    backward zeroes the closed interval). Keras: ``keras.activations.hard_shrink(x, threshold)``.

    References
    ----------
    Donoho & Johnstone, "Ideal spatial adaptation by wavelet shrinkage", Biometrika 81(3), 1994.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.hardshrink(np.array([-1.0, 0.3, 0.5, 0.7]))
    array([-1. ,  0. ,  0. ,  0.7])
    """
    x = kit.floating(input, "input")
    lambd = kit.number(lambd, "lambd", "[0, inf)")
    return namespace(x).where(namespace(x).abs(x) > lambd, x, 0.0)


def hardshrink_grad(input, lambd: float = 0.5, *, grad_output=None):
    r"""Gradient (VJP) of :func:`hardshrink`; 0 at :math:`|x| = \lambda` (PyTorch).

    .. math::

        f'(x) = \mathbb 1[|x| > \lambda]
    """
    x = kit.floating(input, "input")
    lambd = kit.number(lambd, "lambd", "[0, inf)")
    xp = namespace(x)
    return xp.where(xp.abs(x) > lambd, 1.0, 0.0, like=x) * elementwise_upstream(x, grad_output)


def softshrink(input, lambd: float = 0.5):
    r"""Soft shrinkage (soft thresholding): move :math:`x` towards 0 by :math:`\lambda`, stop at 0.

    .. math::

        f(x) = \operatorname{sign}(x)\,\max(|x| - \lambda, 0)

    Parameters
    ----------
    input : array_like
        Any shape.
    lambd : float >= 0, default 0.5
        :math:`\lambda`.

    Returns
    -------
    array
        Shaped like ``input``.

    Notes
    -----
    The proximal operator of :math:`\lambda\lVert x\rVert_1` (the step of ISTA and the lasso).
    Continuous; the gradient at the kinks :math:`\pm\lambda` is 0 (PyTorch).
    Keras: ``keras.activations.soft_shrink(x, threshold)``.

    References
    ----------
    Donoho, "De-noising by soft-thresholding", IEEE Trans. Inf. Theory 41(3), 1995.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.softshrink(np.array([-1.0, 0.3, 0.7]))
    array([-0.5,  0. ,  0.2])
    """
    x = kit.floating(input, "input")
    lambd = kit.number(lambd, "lambd", "[0, inf)")
    xp = namespace(x)
    return xp.where(x > lambd, x - lambd, xp.where(x < -lambd, x + lambd, 0.0 * x))


def softshrink_grad(input, lambd: float = 0.5, *, grad_output=None):
    r"""Gradient (VJP) of :func:`softshrink`; 0 at :math:`|x| = \lambda` (PyTorch).

    .. math::

        f'(x) = \mathbb 1[|x| > \lambda]
    """
    x = kit.floating(input, "input")
    lambd = kit.number(lambd, "lambd", "[0, inf)")
    xp = namespace(x)
    return xp.where(xp.abs(x) > lambd, 1.0, 0.0, like=x) * elementwise_upstream(x, grad_output)


def tanhshrink(input):
    r"""Tanh shrinkage: what :math:`\tanh` takes away from the identity.

    .. math::

        f(x) = x - \tanh(x)

    Parameters
    ----------
    input : array_like
        Any shape.

    Returns
    -------
    array
        Shaped like ``input``.

    Notes
    -----
    Flat (cubic, :math:`x^3/3`) near 0 and :math:`x \mp 1` for large :math:`|x|`: a smooth
    relative of :func:`softshrink` with :math:`\lambda = 1`. Keras: ``tanh_shrink``.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.tanhshrink(np.array([0.0, 1.0]))
    array([0.        , 0.23840584])
    """
    x = kit.floating(input, "input")
    return x - namespace(x).tanh(x)


def tanhshrink_grad(input, *, grad_output=None):
    r"""Gradient (VJP) of :func:`tanhshrink`.

    .. math::

        f'(x) = 1 - (1 - \tanh^2 x) = \tanh^2 x
    """
    x = kit.floating(input, "input")
    t = namespace(x).tanh(x)
    return t * t * elementwise_upstream(x, grad_output)


def _glu_halves(input, dim):
    x = kit.floating(input, "input")
    if x.ndim == 0:
        raise ValueError("input must have at least one axis to split, got a scalar")
    dim = kit.axis(dim, "dim", x.ndim)
    if x.shape[dim] % 2:
        raise ValueError(f"input's axis dim={dim} must have an even length to be halved, "
                         f"got {x.shape[dim]}")
    xp = namespace(x)
    moved = xp.moveaxis(x, dim, -1)
    h = moved.shape[-1] // 2
    return x, xp, dim, moved[..., :h], moved[..., h:]


def glu(input, dim: int = -1):
    r"""Gated linear unit: the first half of ``input`` gated by the sigmoid of the second.

    .. math::

        \operatorname{glu}(a \,\|\, b) = a \odot \sigma(b)

    Parameters
    ----------
    input : array_like
        Split in two equal halves :math:`a, b` along ``dim`` (its length must be even).
    dim : int, default -1
        The axis that is halved.

    Returns
    -------
    array
        Shaped like ``input`` with ``dim`` halved.

    Notes
    -----
    Keras's ``keras.activations.glu(x, axis=-1)`` is the same. The GLU variants of
    transformers (SwiGLU, GeGLU) replace :math:`\sigma` by Swish or GELU.

    References
    ----------
    Dauphin, Fan, Auli & Grangier, "Language Modeling with Gated Convolutional Networks",
    ICML 2017, arXiv:1612.08083.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.glu(np.array([2.0, -1.0, 0.0, 100.0]))
    array([ 1., -1.])
    """
    x, xp, dim, a, b = _glu_halves(input, dim)
    return xp.moveaxis(a * xp.sigmoid(b), -1, dim)


def glu_grad(input, dim: int = -1, *, grad_output=None):
    r"""Vector–Jacobian product of :func:`glu`, shaped like ``input`` (the two halves joined).

    .. math::

        \frac{\partial}{\partial a} = v \odot \sigma(b),\qquad
        \frac{\partial}{\partial b} = v \odot a\,\sigma(b)\bigl(1 - \sigma(b)\bigr)
    """
    x, xp, dim, a, b = _glu_halves(input, dim)
    s = xp.sigmoid(b)
    if grad_output is None:
        v = xp.ones_like(a)
    else:
        v = xp.moveaxis(elementwise_upstream(xp.moveaxis(a, -1, dim), grad_output), dim, -1)
    return xp.moveaxis(xp.concatenate([v * s, v * a * s * (1.0 - s)], axis=-1), -1, dim)


def softmin(input, dim: int = -1):
    r"""Softmin: the softmax of the negated input, largest weight on the smallest entry.

    .. math::

        \operatorname{softmin}(z)_i = \frac{e^{-z_i}}{\sum_j e^{-z_j}}
        = \operatorname{softmax}(-z)_i

    Parameters
    ----------
    input : array_like
        Any shape; normalised along ``dim``.
    dim : int, default -1
        PyTorch's ``F.softmin`` warns without an explicit ``dim``; here it defaults to the
        last axis, as :func:`softmax` does.

    Returns
    -------
    array
        Shaped like ``input``; non-negative, summing to 1 along ``dim``.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.softmin(np.array([0.0, np.log(3.0)]))
    array([0.75, 0.25])
    """
    x = kit.floating(input, "input")
    kit.axis(dim, "dim", max(x.ndim, 1))
    return softmax(-x, dim)


def softmin_grad(input, dim: int = -1, *, grad_output=None):
    r"""Vector–Jacobian product of :func:`softmin` (the softmax VJP at :math:`-z`, negated).

    .. math::

        J^\top v = -\,s \odot \bigl(v - \langle v, s\rangle\bigr),\qquad s = \operatorname{softmin}(z)
    """
    x = kit.floating(input, "input")
    kit.axis(dim, "dim", max(x.ndim, 1))
    return -softmax_grad(-x, dim, grad_output=grad_output)


_RRELU_LOWER, _RRELU_UPPER = 1.0 / 8.0, 1.0 / 3.0


def _rrelu_slope(x, lower, upper, training, seed):
    lower = kit.number(lower, "lower", "[0, inf)")
    upper = kit.number(upper, "upper", "[0, inf)")
    if upper < lower:
        raise ValueError(f"upper must be at least lower, got lower={lower} and upper={upper}")
    if not kit.flag(training, "training"):
        return (lower + upper) / 2.0
    if seed is None:
        raise ValueError("seed must be an integer when training=True: the random slopes are "
                         "drawn from numpy.random.default_rng(seed), so that rrelu and rrelu_grad "
                         "see the same slopes")
    seed = kit.number(seed, "seed", "[0, inf)", integer=True)
    import numpy as np

    return kit.cast_like(np.random.default_rng(seed).uniform(lower, upper, size=tuple(x.shape)), x,
                         "slopes")


def rrelu(input, lower: float = 1.0 / 8.0, upper: float = 1.0 / 3.0, training: bool = False, *,
          seed: int | None = None):
    r"""Randomised leaky ReLU; in evaluation mode the leaky ReLU of slope :math:`(l+u)/2`.

    .. math::

        f(x) = \begin{cases} x & x > 0 \\ a\,x & x \le 0 \end{cases},\qquad
        a = \tfrac{l + u}{2}\ \text{(evaluation)},\quad a \sim U(l, u)\ \text{(training)}

    Parameters
    ----------
    input : array_like
        Any shape.
    lower, upper : float, default 1/8 and 1/3
        :math:`l \le u`, the range of the random slope (PyTorch's defaults).
    training : bool, default False
        ``False`` (PyTorch's functional default): the deterministic slope :math:`(l+u)/2`.
        ``True``: one slope per element drawn from :math:`U(l, u)`.
    seed : int, optional
        Required with ``training=True``: the slopes are
        ``numpy.random.default_rng(seed).uniform(lower, upper, input.shape)``, so that
        :func:`rrelu_grad` can use the same ones. They are *not* PyTorch's random numbers:
        PyTorch draws inside the kernel and keeps the slopes as a hidden ``noise`` buffer.

    Returns
    -------
    array
        Shaped like ``input``.

    Notes
    -----
    RReLU is not PReLU (erratum ER18): PReLU's slope is learned, RReLU's is random during
    training (a regulariser, like dropout) and fixed to the mean at test time.

    References
    ----------
    Xu, Wang, Chen & Li, "Empirical Evaluation of Rectified Activations in Convolutional
    Network", 2015, arXiv:1505.00853.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.rrelu(np.array([-2.4, 1.0]))
    array([-0.55,  1.  ])
    """
    x = kit.floating(input, "input")
    a = _rrelu_slope(x, lower, upper, training, seed)
    return namespace(x).where(x > 0, x, a * x)


def rrelu_grad(input, lower: float = 1.0 / 8.0, upper: float = 1.0 / 3.0, training: bool = False,
               *, seed: int | None = None, grad_output=None):
    r"""Gradient (VJP) of :func:`rrelu`; the slope :math:`a` at 0 (PyTorch's leaky ReLU).

    .. math::

        f'(x) = \begin{cases} 1 & x > 0 \\ a & x \le 0 \end{cases}
    """
    x = kit.floating(input, "input")
    a = _rrelu_slope(x, lower, upper, training, seed)
    xp = namespace(x)
    return xp.where(x > 0, 1.0, a * xp.ones_like(x)) * elementwise_upstream(x, grad_output)


def logsumexp(input, dim: int = -1, keepdim: bool = False):
    r"""Log-sum-exp along ``dim``, the smooth maximum, computed without overflow.

    .. math::

        \operatorname{LSE}(z) = \log\sum_j e^{z_j} = m + \log\sum_j e^{z_j - m},\qquad m = \max_j z_j

    Parameters
    ----------
    input : array_like
        Any shape with at least one axis.
    dim : int, default -1
        The axis reduced (one axis; ``torch.logsumexp`` requires it, here it defaults to the
        last one as :func:`softmax` does).
    keepdim : bool, default False
        Keep ``dim`` with length 1.

    Returns
    -------
    array
        ``input``'s shape without ``dim`` (or with it of length 1).

    Notes
    -----
    :math:`\max_j z_j \le \operatorname{LSE}(z) \le \max_j z_j + \log C`; its gradient is
    :func:`softmax`. ``scipy.special.logsumexp`` and ``keras.ops.logsumexp`` are the same.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> float(lossbook.logsumexp(np.array([1000.0, 1000.0])))
    1000.6931471805599
    """
    x = kit.floating(input, "input")
    kit.has_ndim(x, "input", "at least one axis", at_least=1)
    dim = kit.axis(dim, "dim", x.ndim)
    keepdim = kit.flag(keepdim, "keepdim")
    xp = namespace(x)
    if x.shape[dim] == 0:            # an empty sum: log 0 = -inf, as in PyTorch
        return xp.full_like(xp.sum(x, axis=dim, keepdims=keepdim), -float("inf"))
    return xp.logsumexp(x, axis=dim, keepdims=keepdim)


def logsumexp_grad(input, dim: int = -1, keepdim: bool = False, *, grad_output=None):
    r"""Vector–Jacobian product of :func:`logsumexp`: the softmax times the incoming gradient.

    .. math::

        \frac{\partial\,\operatorname{LSE}(z)}{\partial z_i} = \operatorname{softmax}(z)_i
    """
    x = kit.floating(input, "input")
    kit.has_ndim(x, "input", "at least one axis", at_least=1)
    dim = kit.axis(dim, "dim", x.ndim)
    keepdim = kit.flag(keepdim, "keepdim")
    xp = namespace(x)
    s = softmax(x, dim)               # empty when x is (and then so is the gradient)
    if grad_output is None:
        return s
    shape = tuple(s.shape[:dim % x.ndim]) + ((1,) if keepdim else ()) + tuple(s.shape[dim % x.ndim + 1:])
    g = xp.asarray(grad_output, like=x)
    if tuple(g.shape) != shape:
        raise ValueError(f"grad_output must have the shape of the output {shape}, got {tuple(g.shape)}")
    if not keepdim:
        g = xp.reshape(g, tuple(s.shape[:dim % x.ndim]) + (1,) + tuple(s.shape[dim % x.ndim + 1:]))
    return s * g


def _sparsemax_parts(x, dim):
    """``(p, in_support)`` of sparsemax along ``dim`` (the sort-and-threshold algorithm)."""
    import numpy as np

    xp = namespace(x)
    z = xp.moveaxis(x, dim, -1)
    n = z.shape[-1]
    zs = xp.sort_descending(z, axis=-1)
    cs = xp.cumsum(zs, axis=-1)
    k = xp.asarray(np.arange(1, n + 1), like=z)
    # sorted entry k is in the support iff 1 + k z_(k) > z_(1) + ... + z_(k)
    support = 1.0 + k * zs > cs
    size = xp.sum(xp.where(support, 1.0, 0.0, like=z), axis=-1, keepdims=True)
    tau = (xp.sum(xp.where(support, zs, 0.0 * zs), axis=-1, keepdims=True) - 1.0) / size
    p = xp.maximum(z - tau, 0.0)
    return xp.moveaxis(p, -1, dim), tau


def sparsemax(input, dim: int = -1):
    r"""Sparsemax: the Euclidean projection of the logits onto the probability simplex.

    .. math::

        \operatorname{sparsemax}(z) = \arg\min_{p\in\Delta}\lVert p - z\rVert^2,
        \qquad \operatorname{sparsemax}(z)_i = \max(z_i - \tau(z), 0)

    with the threshold :math:`\tau` chosen so that the entries sum to 1: sort
    :math:`z_{(1)}\ge\dots\ge z_{(C)}`, let :math:`k(z)=\max\{k: 1 + k z_{(k)} > \sum_{j\le k}
    z_{(j)}\}`, then :math:`\tau = (\sum_{j\le k(z)} z_{(j)} - 1)/k(z)`.

    Parameters
    ----------
    input : array_like
        Logits, any shape; the projection is along ``dim``.
    dim : int, default -1
        The class axis.

    Returns
    -------
    array
        Shaped like ``input``; non-negative, summing to 1 along ``dim``, with **exact zeros**
        wherever :math:`z_i \le \tau`.

    Notes
    -----
    Like :func:`softmax` it is invariant to adding a constant; unlike softmax it is
    piecewise linear and reaches the simplex's faces: a logit more than the gap to the
    threshold below the others gets probability exactly 0. For two classes
    :math:`\operatorname{sparsemax}(t, 0)_1 = \operatorname{clip}((t+1)/2, 0, 1)`, the "hard
    sigmoid" of :func:`sparse_sigmoid`. Keras 3: ``keras.activations.sparsemax(x, axis=-1)``.
    Its loss is :func:`sparsemax_loss`.

    References
    ----------
    Martins & Astudillo, "From Softmax to Sparsemax: A Sparse Model of Attention and
    Multi-Label Classification", ICML 2016, arXiv:1602.02068.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.sparsemax(np.array([1.0, 0.8, -1.0]))
    array([0.6, 0.4, 0. ])
    """
    x = kit.floating(input, "input")
    kit.has_ndim(x, "input", "at least one axis", at_least=1)
    dim = kit.axis(dim, "dim", x.ndim)
    if _empty_along(x, dim):
        return namespace(x).zeros_like(x)
    return _sparsemax_parts(x, dim)[0]


def sparsemax_grad(input, dim: int = -1, *, grad_output=None):
    r"""Vector–Jacobian product of :func:`sparsemax` (Martins & Astudillo 2016, eq. 12).

    .. math::

        J = \operatorname{diag}(s) - \frac{s s^\top}{|S(z)|},\qquad
        J^\top v = s \odot \Bigl(v - \frac{\sum_{j\in S} v_j}{|S(z)|}\Bigr)

    with :math:`s_i = \mathbb 1[p_i > 0]` the support indicator (the Jacobian is symmetric).
    At a boundary point (:math:`z_i = \tau` exactly) the entry counts as outside the support,
    the derivative from the side where it is 0.
    """
    x = kit.floating(input, "input")
    kit.has_ndim(x, "input", "at least one axis", at_least=1)
    dim = kit.axis(dim, "dim", x.ndim)
    xp = namespace(x)
    if _empty_along(x, dim):
        elementwise_upstream(x, grad_output)
        return xp.zeros_like(x)
    p, _ = _sparsemax_parts(x, dim)
    s = xp.where(p > 0, 1.0, 0.0, like=x)
    v = elementwise_upstream(x, grad_output) * xp.ones_like(x)
    mean_v = xp.sum(v * s, axis=dim, keepdims=True) / xp.sum(s, axis=dim, keepdims=True)
    return s * (v - mean_v)


def squareplus(input, b: float = 4.0):
    r"""Squareplus (Barron 2021): a softplus-like curve made of a square root, no exponential.

    .. math::

        f(x) = \frac{x + \sqrt{x^2 + b}}{2}

    Parameters
    ----------
    input : array_like
        Any shape.
    b : float >= 0, default 4.0
        Curvature near 0: :math:`f(0) = \sqrt b/2`; ``b=0`` is :func:`relu`. Keras's default
        is 4 too (``keras.activations.squareplus(x, b=4)``).

    Returns
    -------
    array
        Shaped like ``input``.

    Notes
    -----
    For :math:`x < 0` it is computed as :math:`\tfrac{b}{2(\sqrt{x^2+b} - x)}` (the same
    number without the cancellation of :math:`x + \sqrt{x^2+b}`).

    References
    ----------
    Barron, "Squareplus: A Softplus-Like Algebraic Rectifier", 2021, arXiv:2112.11687.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.squareplus(np.array([0.0, 1.5]))
    array([1., 2.])
    """
    x = kit.floating(input, "input")
    b = kit.number(b, "b", "[0, inf)")
    xp = namespace(x)
    r = xp.sqrt(x * x + b)
    safe = xp.where(x < 0, r - x, 1.0 + 0.0 * x)
    return xp.where(x < 0, 0.5 * b / safe, 0.5 * (x + r))


def squareplus_grad(input, b: float = 4.0, *, grad_output=None):
    r"""Gradient (VJP) of :func:`squareplus`; with ``b=0`` (ReLU) it is :math:`1/2` at 0.

    .. math::

        f'(x) = \frac12\Bigl(1 + \frac{x}{\sqrt{x^2 + b}}\Bigr)
    """
    x = kit.floating(input, "input")
    b = kit.number(b, "b", "[0, inf)")
    xp = namespace(x)
    r = xp.sqrt(x * x + b)
    ratio = xp.where(r > 0, x / xp.where(r > 0, r, 1.0 + 0.0 * r), 0.0 * x)
    return 0.5 * (1.0 + ratio) * elementwise_upstream(x, grad_output)


def sparse_plus(input):
    r"""Sparse plus (Keras 3 / JAX): 0, then a parabola, then the identity; a :math:`C^1` ReLU.

    .. math::

        f(x) = \begin{cases} 0 & x \le -1 \\ \tfrac14 (x + 1)^2 & -1 < x < 1 \\ x & x \ge 1 \end{cases}

    Parameters
    ----------
    input : array_like
        Any shape.

    Returns
    -------
    array
        Shaped like ``input``.

    Notes
    -----
    ``keras.activations.sparse_plus`` and ``jax.nn.sparse_plus``. It is exactly 0 for
    :math:`x \le -1` (hence "sparse") and its derivative is :func:`sparse_sigmoid`. It is
    the sparsemax "smooth maximum" of :math:`(x, 0)`,
    :math:`\max_{p\in\Delta}\langle p, (x, 0)\rangle - \tfrac12\lVert p\rVert^2 + \tfrac12`,
    as :func:`softplus` is the log-sum-exp of :math:`(x, 0)`.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.sparse_plus(np.array([-2.0, 0.0, 2.0]))
    array([0.  , 0.25, 2.  ])
    """
    x = kit.floating(input, "input")
    xp = namespace(x)
    c = xp.clip(x, -1.0, 1.0) + 1.0
    return xp.where(x >= 1.0, x, 0.25 * c * c)


def sparse_plus_grad(input, *, grad_output=None):
    r"""Gradient (VJP) of :func:`sparse_plus`: :func:`sparse_sigmoid` (continuous, no convention).

    .. math::

        f'(x) = \tfrac12\operatorname{clip}(x + 1, 0, 2)
    """
    x = kit.floating(input, "input")
    return 0.5 * namespace(x).clip(x + 1.0, 0.0, 2.0) * elementwise_upstream(x, grad_output)


def sparse_sigmoid(input):
    r"""Sparse sigmoid (Keras 3 / JAX): a linear ramp from 0 at -1 to 1 at 1, flat outside.

    .. math::

        f(x) = \tfrac12\operatorname{clip}(x + 1, 0, 2) =
        \begin{cases} 0 & x \le -1 \\ \tfrac12(x + 1) & -1 < x < 1 \\ 1 & x \ge 1 \end{cases}

    Parameters
    ----------
    input : array_like
        Any shape.

    Returns
    -------
    array
        Shaped like ``input``.

    Notes
    -----
    ``keras.activations.sparse_sigmoid`` and ``jax.nn.sparse_sigmoid``: the first entry of
    the two-class :func:`sparsemax` of :math:`(x, 0)`, as the sigmoid is the first entry of
    the softmax of :math:`(x, 0)`. It is :math:`(\operatorname{hardtanh}(x)+1)/2`,
    not :func:`hardsigmoid` (whose ramp runs from -3 to 3). Gradient convention at
    :math:`\pm1`: 0, as PyTorch's ``hardtanh``.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.sparse_sigmoid(np.array([-2.0, 0.0, 0.5, 2.0]))
    array([0.  , 0.5 , 0.75, 1.  ])
    """
    x = kit.floating(input, "input")
    return 0.5 * namespace(x).clip(x + 1.0, 0.0, 2.0)


def sparse_sigmoid_grad(input, *, grad_output=None):
    r"""Gradient (VJP) of :func:`sparse_sigmoid`; 0 at :math:`x=\pm1` (``hardtanh``'s convention).

    .. math::

        f'(x) = \tfrac12\,\mathbb 1[-1 < x < 1]
    """
    x = kit.floating(input, "input")
    xp = namespace(x)
    return xp.where((x > -1.0) & (x < 1.0), 0.5, 0.0, like=x) * elementwise_upstream(x, grad_output)


# --- registry entries -------------------------------------------------------------------
def _unary(avoid=(0.0,), low=-4.0, high=4.0, **kwargs):
    """Example: one float64 array away from the kinks, plus fixed hyper-parameters."""
    return lambda seed: ((real(seed, (3, 5), low, high, avoid),), dict(kwargs))


def _glu_example(seed):
    if seed % 2:
        return (real(seed, (4, 5), avoid=()),), {"dim": 0}
    return (real(seed, (3, 6), avoid=()),), {}


def _logsumexp_example(seed):
    return (real(seed, (3, 5), avoid=()),), [{"dim": 1}, {"dim": 0, "keepdim": True}][seed % 2]


def _sparsemax_example(seed, shape=(4, 5), gap=0.05):
    """Logits whose every entry is at least ``gap`` from the threshold (away from the kinks),
    with supports of several sizes."""
    import numpy as np

    generator = kit.rng(seed)
    rows = []
    while len(rows) < shape[0]:
        z = generator.uniform(-1.5, 1.5, size=shape[1])
        p, tau = _sparsemax_parts(z, -1)
        if np.all(np.abs(z - tau) > gap):
            rows.append(z)
    return (np.stack(rows),), {}


#: This module's part of the catalog; the registry enrols its SPECS under it.
FAMILY = Family(key="activation", title="Activation functions", part="A",
                chapters=("activations_saturating", "activations_rectifiers", "normalising_maps"))
_SAT, _RECT, _NORM = FAMILY.chapters

_spec = kit.spec_factory(FAMILY, globals(), curve=Curve("x", (-6.0, 6.0)), example=_unary())

SPECS = (
    _spec("identity", "A1", "恒等(线性)激活函数", "torch.nn.Identity; keras.activations.linear", chapter=_SAT),
    _spec("sigmoid", "A2", "Sigmoid 函数", "torch.sigmoid; scipy.special.expit",
          "LeCun, Bottou, Orr & Müller, Efficient BackProp, 1998",
          chapter=_SAT, example=_unary(low=-8, high=8)),
    _spec("tanh", "A3", "双曲正切函数", "torch.tanh; numpy.tanh",
          "LeCun, Bottou, Orr & Müller, Efficient BackProp, 1998", chapter=_SAT),
    _spec("softsign", "A10", "Softsign 函数", "torch.nn.functional.softsign",
          "Glorot & Bengio, AISTATS 2010", chapter=_SAT),
    _spec("hardsigmoid", "A19", "硬 Sigmoid 函数", "torch.nn.functional.hardsigmoid",
          "Howard et al., Searching for MobileNetV3, ICCV 2019, arXiv:1905.02244",
          chapter=_SAT, in_seeds=False,
          example=_unary(avoid=(-3.0, 3.0), low=-5, high=5),
          kinks=(Kink((f64(-3.0),), {}, f64(0.0), "boundary: 0, as in PyTorch"),
                 Kink((f64(3.0),), {}, f64(0.0), "boundary: 0, as in PyTorch"))),
    _spec("hardtanh", "A20", "硬双曲正切函数", "torch.nn.functional.hardtanh", chapter=_SAT, in_seeds=False,
          params=(Param("min_val", -1.0, -3.0, 0.0), Param("max_val", 1.0, 0.5, 3.0)),
          example=_unary(avoid=(-1.5, 2.0), min_val=-1.5, max_val=2.0),
          kinks=(Kink((f64(-1.0),), {}, f64(0.0), "boundary: 0, as in PyTorch"),
                 Kink((f64(1.0),), {}, f64(0.0), "boundary: 0, as in PyTorch"))),
    _spec("relu", "A4", "修正线性单元", "torch.relu",
          "Nair & Hinton, ICML 2010; Glorot, Bordes & Bengio, AISTATS 2011", chapter=_RECT,
          kinks=(Kink((f64(0.0),), {}, f64(0.0), "subgradient 0 at 0, as in PyTorch"),)),
    _spec("leaky_relu", "A5", "带泄露修正线性单元", "torch.nn.functional.leaky_relu",
          "Maas, Hannun & Ng, ICML WDLASL 2013", chapter=_RECT,
          params=(Param("negative_slope", 0.01, 0.0, 0.5),), example=_unary(negative_slope=0.2),
          kinks=(Kink((f64(0.0),), {}, f64(0.01), "negative_slope at 0, as in PyTorch"),)),
    _spec("prelu", "A6", "参数化修正线性单元", "torch.nn.functional.prelu",
          "He, Zhang, Ren & Sun, Delving Deep into Rectifiers, ICCV 2015, arXiv:1502.01852",
          chapter=_RECT,
          wrt=(0, 1), params=(Param("weight", 0.25, -0.5, 1.0, doc="the learned slope"),),
          curve=Curve("x", (-6.0, 6.0), call=lambda x, p: ((x, f64(p["weight"]).reshape(1)), {})),
          example=lambda seed: ((real(seed, (4, 3, 2)), real(seed + 1, (3,), 0.05, 0.6, avoid=())), {}),
          kinks=(Kink((f64([[0.0, 1.0]]), f64([0.25])), {}, (f64([[0.25, 1.0]]), f64([0.0])),
                      "input gradient a, weight gradient 0 at x = 0, as in PyTorch"),)),
    _spec("elu", "A15", "指数线性单元", "torch.nn.functional.elu",
          "Clevert, Unterthiner & Hochreiter, ICLR 2016, arXiv:1511.07289",
          chapter=_RECT, in_seeds=False,
          params=(Param("alpha", 1.0, 0.1, 3.0),), example=_unary(alpha=1.7),
          kinks=(Kink((f64(0.0),), {}, f64(1.0), "negative branch (alpha) at 0, as in PyTorch"),)),
    _spec("selu", "A16", "缩放指数线性单元", "torch.nn.functional.selu",
          "Klambauer et al., Self-Normalizing Neural Networks, NeurIPS 2017, arXiv:1706.02515",
          chapter=_RECT,
          in_seeds=False,
          kinks=(Kink((f64(0.0),), {}, f64(SELU_SCALE * SELU_ALPHA), "negative branch at 0, as in PyTorch"),)),
    _spec("softplus", "A11", "Softplus 函数", "torch.nn.functional.softplus",
          "Dugas et al., Incorporating Second-Order Functional Knowledge..., NIPS 2000", chapter=_RECT,
          params=(Param("beta", 1.0, 0.25, 8.0, log=True), Param("threshold", 20.0, 1.0, 40.0)),
          example=_unary(low=-6, high=6, avoid=(), beta=1.5, threshold=5.0)),
    _spec("maxout", "A13", "Maxout 单元", "x.view(..., d, k).max(-1).values (no built-in)",
          "Goodfellow et al., Maxout Networks, ICML 2013, arXiv:1302.4389", chapter=_RECT, curve=None,
          params=(Param("num_pieces", 2, 1, 5),),
          example=lambda seed: ((real(seed, (3, 12), avoid=()), ), {"num_pieces": 3}),
          kinks=(Kink((f64([1.0, 1.0]),), {}, f64([1.0, 0.0]), "ties go to the first piece, as torch.max"),)),
    _spec("swish", "A14", "Swish 函数", "x * torch.sigmoid(beta * x); torch.nn.functional.silu for beta = 1",
          "Ramachandran, Zoph & Le, Searching for Activation Functions, 2017, arXiv:1710.05941",
          chapter=_RECT,
          wrt=(0, 1), params=(Param("beta", 1.0, 0.1, 10.0, log=True),),
          curve=Curve("x", (-6.0, 6.0), call=lambda x, p: ((x, float(p["beta"])), {})),
          example=lambda seed: ((real(seed, (3, 5)), real(seed + 7, (5,), 0.3, 3.0, avoid=())), {})),
    _spec("silu", "A14", "Sigmoid 加权线性单元", "torch.nn.functional.silu",
          "Elfwing, Uchibe & Doya 2017, arXiv:1702.03118; Hendrycks & Gimpel 2016",
          chapter=_RECT, in_seeds=False),
    _spec("gelu", "A17", "高斯误差线性单元", "torch.nn.functional.gelu",
          "Hendrycks & Gimpel, Gaussian Error Linear Units (GELUs), 2016, arXiv:1606.08415",
          chapter=_RECT,
          in_seeds=False, params=(Param("approximate", "none", options=("none", "tanh")),)),
    _spec("mish", "A18", "Mish 函数", "torch.nn.functional.mish",
          "Misra, Mish, BMVC 2020, arXiv:1908.08681", chapter=_RECT, in_seeds=False),
    _spec("hardswish", "A20", "硬 Swish 函数", "torch.nn.functional.hardswish; keras.activations.hard_silu",
          "Howard et al., Searching for MobileNetV3, ICCV 2019, arXiv:1905.02244",
          chapter=_RECT, in_seeds=False, aliases=("hard_silu", "hard_swish"),
          example=_unary(avoid=(-3.0, 3.0), low=-5, high=5),
          kinks=(Kink((f64(-3.0),), {}, f64(0.0), "outer piece's slope at -3, as PyTorch 2.13"),
                 Kink((f64(3.0),), {}, f64(1.0), "outer piece's slope at 3, as PyTorch 2.13"))),
    _spec("relu6", "A20", "ReLU6", "torch.nn.functional.relu6", chapter=_RECT, in_seeds=False,
          example=_unary(avoid=(0.0, 6.0), low=-3, high=9),
          kinks=(Kink((f64(0.0),), {}, f64(0.0), "boundary: 0, as in PyTorch"),
                 Kink((f64(6.0),), {}, f64(0.0), "boundary: 0, as in PyTorch"))),
    _spec("softmax", "A7", "Softmax 函数(归一化指数函数)", "torch.softmax; scipy.special.softmax",
          "Bridle 1990", chapter=_NORM, curve=None, example=_unary(avoid=(), dim=0)),
    _spec("log_softmax", "A8", "对数 Softmax", "torch.nn.functional.log_softmax; scipy.special.log_softmax",
          chapter=_NORM,
          in_seeds=False, curve=None, example=_unary(avoid=(), dim=-1)),
    _spec("hardmax", "A9", "Hardmax(硬最大值)", "numpy.eye(C)[z.argmax(-1)]; ONNX Hardmax", chapter=_NORM,
          curve=None, example=_unary(avoid=())),
    _spec("logsigmoid", "A12", "对数 Sigmoid", "torch.nn.functional.logsigmoid; scipy.special.log_expit",
          chapter=_NORM, aliases=("log_sigmoid",),
          in_seeds=False, example=_unary(avoid=(), low=-8, high=8)),
    # --- A+: the rest of torch.nn.functional and Keras 3 (issue 17) ---
    _spec("celu", "A+", "连续可微指数线性单元", "torch.nn.functional.celu; keras.activations.celu",
          "Barron, Continuously Differentiable Exponential Linear Units, 2017, arXiv:1704.07483",
          chapter=_RECT, in_seeds=False, params=(Param("alpha", 1.0, 0.1, 3.0),),
          example=_unary(alpha=1.5),
          kinks=(Kink((f64(0.0),), {}, f64(1.0), "1 at 0 from both sides: the derivative is continuous"),)),
    _spec("threshold", "A+", "阈值函数", "torch.nn.functional.threshold; keras.activations.threshold",
          chapter=_RECT, in_seeds=False,
          params=(Param("threshold", 0.0, -2.0, 2.0), Param("value", 0.0, -2.0, 2.0)),
          example=_unary(avoid=(0.3,), threshold=0.3, value=-1.5),
          kinks=(Kink((f64([0.3, 0.31]),), {"threshold": 0.3, "value": -1.5}, f64([0.0, 1.0]),
                      "0 at x = threshold (PyTorch's backward tests x > threshold)"),)),
    _spec("hardshrink", "A+", "硬收缩函数", "torch.nn.functional.hardshrink; keras.activations.hard_shrink",
          "Donoho & Johnstone, Biometrika 1994", chapter=_RECT, in_seeds=False,
          params=(Param("lambd", 0.5, 0.0, 2.0),), example=_unary(avoid=(-0.7, 0.7), lambd=0.7),
          kinks=(Kink((f64([-0.5, 0.5]),), {}, f64([0.0, 0.0]), "0 at |x| = lambd (PyTorch)"),)),
    _spec("softshrink", "A+", "软收缩函数", "torch.nn.functional.softshrink; keras.activations.soft_shrink",
          "Donoho, IEEE Trans. Inf. Theory 1995", chapter=_RECT, in_seeds=False,
          params=(Param("lambd", 0.5, 0.0, 2.0),), example=_unary(avoid=(-0.7, 0.7), lambd=0.7),
          kinks=(Kink((f64([-0.5, 0.5]),), {}, f64([0.0, 0.0]), "0 at |x| = lambd (PyTorch)"),)),
    _spec("tanhshrink", "A+", "Tanh 收缩函数", "torch.nn.functional.tanhshrink; keras.activations.tanh_shrink",
          chapter=_SAT, in_seeds=False, example=_unary(avoid=())),
    _spec("glu", "A+", "门控线性单元", "torch.nn.functional.glu; keras.activations.glu",
          "Dauphin, Fan, Auli & Grangier, ICML 2017, arXiv:1612.08083", chapter=_SAT,
          in_seeds=False, curve=None, example=_glu_example),
    _spec("softmin", "A+", "Softmin 函数", "torch.nn.functional.softmin; scipy.special.softmax(-z)",
          chapter=_NORM, in_seeds=False, curve=None, example=_unary(avoid=(), dim=0)),
    _spec("rrelu", "A+", "随机修正线性单元", "torch.nn.functional.rrelu; evaluation mode, training=False",
          "Xu, Wang, Chen & Li, Empirical Evaluation of Rectified Activations, 2015, arXiv:1505.00853",
          chapter=_RECT, in_seeds=False,
          params=(Param("lower", 1.0 / 8.0, 0.0, 0.5), Param("upper", 1.0 / 3.0, 0.0, 0.5)),
          example=_unary(lower=0.1, upper=0.4),
          kinks=(Kink((f64(0.0),), {}, f64((1.0 / 8.0 + 1.0 / 3.0) / 2.0),
                      "the slope (lower + upper) / 2 at 0 (PyTorch's leaky ReLU in evaluation mode)"),)),
    _spec("logsumexp", "A+", "对数-求和-指数", "torch.logsumexp; scipy.special.logsumexp",
          chapter=_NORM, in_seeds=False, curve=None, example=_logsumexp_example),
    _spec("sparsemax", "A+", "Sparsemax(稀疏最大值)", "none in torch (keras.activations.sparsemax)",
          "Martins & Astudillo, From Softmax to Sparsemax, ICML 2016, arXiv:1602.02068",
          chapter=_NORM, in_seeds=False, curve=None, example=_sparsemax_example),
    _spec("squareplus", "A+", "Squareplus 函数", "keras.activations.squareplus (no torch function)",
          "Barron, Squareplus: A Softplus-Like Algebraic Rectifier, 2021, arXiv:2112.11687",
          chapter=_RECT, in_seeds=False, params=(Param("b", 4.0, 0.0, 16.0),),
          example=_unary(avoid=(), b=2.5)),
    _spec("sparse_plus", "A+", "稀疏 Softplus", "keras.activations.sparse_plus; jax.nn.sparse_plus",
          chapter=_RECT, in_seeds=False, example=_unary(avoid=(-1.0, 1.0), low=-3, high=3)),
    _spec("sparse_sigmoid", "A+", "稀疏 Sigmoid", "keras.activations.sparse_sigmoid; jax.nn.sparse_sigmoid",
          chapter=_SAT, in_seeds=False, example=_unary(avoid=(-1.0, 1.0), low=-3, high=3),
          kinks=(Kink((f64([-1.0, 1.0]),), {}, f64([0.0, 0.0]),
                      "0 at x = -1 and x = 1 (the convention of PyTorch's hardtanh)"),)),
)
