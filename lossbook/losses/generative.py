r"""Generative (GAN) and perceptual losses (catalog part K), each value function with its gradient.

* :func:`gan_discriminator_loss` (K1): binary cross-entropy of the discriminator's logits,
  real against 1 (or :math:`1-s` with one-sided label smoothing), fake against 0.
* :func:`gan_generator_loss` (K1): the saturating minimax cost :math:`\log(1-D(G(z)))`.
* :func:`non_saturating_generator_loss` (K2): the ":math:`-\log D` trick".
* :func:`maximum_likelihood_generator_loss` (K2, figure): Goodfellow's (2016)
  :math:`-\tfrac12 e^{\sigma^{-1}(D)}`, the third cost of his tutorial's Fig. 16.
* :func:`wgan_critic_loss`, :func:`wgan_generator_loss` (K3): the Wasserstein critic and
  generator objectives; :func:`wgan_gradient_penalty` (K3, WGAN-GP) as a function of the
  critic's per-sample input gradients.
* :func:`lsgan_discriminator_loss`, :func:`lsgan_generator_loss` (K4): least squares with the
  targets :math:`(a, b, c)`.
* :func:`loss_sensitive_gan_loss` (K5): Qi's loss-sensitive critic objective.
* :func:`perceptual_loss` (K6): Johnson et al.'s feature reconstruction and Gram-matrix style
  terms over one feature map or a list of them.

**Inputs.** The discriminator's outputs are **logits** :math:`l` wherever the loss involves
:math:`\log D` (:math:`D=\sigma(l)`), and every such loss is written with the stable
:math:`\operatorname{softplus}(x)=\max(x,0)+\log(1+e^{-|x|})`: :math:`-\log D=\operatorname{softplus}(-l)`,
:math:`-\log(1-D)=\operatorname{softplus}(l)`. The WGAN critic, the LSGAN discriminator and the
loss-sensitive :math:`L_\theta` output raw scores. A loss of a real and a fake batch takes two
arrays of the same shape (pair the samples; ``reduction='none'`` gives the per-pair terms and
``'mean'`` is then the mean of each term, as in torchgan); a different number of fakes is a
``ValueError`` naming ``fake_*``.

**The gradient penalty** takes the critic's input gradients :math:`\nabla_{\hat x}f(\hat x)`, one
row per sample, which the caller gets from autograd with ``create_graph=True``; its ``_grad`` is
the derivative of the penalty with respect to those gradients only, and the second-order part
(through the critic) is ordinary autograd (see :func:`wgan_gradient_penalty`).

**A list of feature maps.** :func:`perceptual_loss` takes ``input`` and ``target`` either as one
feature map :math:`(N, C, d_1, \dots)` or as lists (or tuples) of them, one per layer; the loss
is the (weighted) sum over the layers, per sample, and ``perceptual_loss_grad`` returns the
matching structure: an array, or a list of arrays, one per layer. Because the loss is a sum
over layers, ``lossbook.autograd.function("perceptual_loss")``, which passes tensors and not
lists, is applied layer by layer and the results added (the registry's generic tests use a
single map).

Every ``<name>_grad`` is the vector–Jacobian product with respect to the arguments listed in
the entry's ``wrt``: what ``.grad`` holds after ``<name>(...).backward(grad_output)`` in PyTorch.
"""
from __future__ import annotations

import numpy as np

from .. import _kit as kit
from .._backend import is_torch, namespace
from .._reduction import check_reduction, reduce, upstream
from .._spec import Curve, Family, Kink, Param

__all__ = [
    "gan_discriminator_loss", "gan_discriminator_loss_grad",
    "gan_generator_loss", "gan_generator_loss_grad",
    "non_saturating_generator_loss", "non_saturating_generator_loss_grad",
    "maximum_likelihood_generator_loss", "maximum_likelihood_generator_loss_grad",
    "wgan_critic_loss", "wgan_critic_loss_grad",
    "wgan_generator_loss", "wgan_generator_loss_grad",
    "wgan_gradient_penalty", "wgan_gradient_penalty_grad",
    "lsgan_discriminator_loss", "lsgan_discriminator_loss_grad",
    "lsgan_generator_loss", "lsgan_generator_loss_grad",
    "loss_sensitive_gan_loss", "loss_sensitive_gan_loss_grad",
    "perceptual_loss", "perceptual_loss_grad",
]


# =====================================================================================
# Set-up: the argument checks of this module.
# =====================================================================================
def _one(x, name, reduction):
    check_reduction(reduction)
    return kit.nonempty(kit.floating(x, name), name)


def _two(real, fake, names, reduction):
    return kit.pair(real, fake, reduction=reduction, names=names)


def _three(real, fake, margin, names, reduction):
    r, f = _two(real, fake, names[:2], reduction)
    given = kit._is_array(margin)
    m = kit.floating(margin, names[2])
    if not given:
        m = kit.cast_like(m, r, names[2], names[0])
    return r, f, kit.match(r, m, (names[0], names[2]))


def _softplus(xp, x):
    return xp.softplus(x)


# =====================================================================================
# K1. The minimax GAN
# =====================================================================================
def gan_discriminator_loss(real_logits, fake_logits, *, label_smoothing: float = 0.0,
                           reduction: str = "mean"):
    r"""The GAN discriminator's loss: cross-entropy of real logits against 1 and fakes against 0.

    .. math::

        \ell_i = -(1-s)\log\sigma(l^{r}_i) - s\log(1-\sigma(l^{r}_i)) - \log(1-\sigma(l^{f}_i))
               = \operatorname{softplus}(l^{r}_i) - (1-s)\,l^{r}_i + \operatorname{softplus}(l^{f}_i)

    Parameters
    ----------
    real_logits : array_like
        Discriminator logits :math:`l^r` on real samples, any shape.
    fake_logits : array_like
        Discriminator logits :math:`l^f=\operatorname{logit}D(G(z))` on generated samples,
        shaped like ``real_logits``.
    label_smoothing : float in [0, 1), default 0
        One-sided label smoothing :math:`s` (Salimans et al. 2016): the real target is
        :math:`1-s`, the fake target stays 0 (torchgan's convention).
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        ``'none'`` gives the per-pair terms :math:`\ell_i`; ``'mean'`` is
        :math:`\mathbb E[\text{real term}]+\mathbb E[\text{fake term}]`.

    Returns
    -------
    array
        A scalar, or shaped like ``real_logits`` for ``reduction='none'``.

    Notes
    -----
    Minimising it is maximising Goodfellow's value
    :math:`V(D,G)=\mathbb E_x\log D(x)+\mathbb E_z\log(1-D(G(z)))`; for a fixed generator its
    minimiser is :math:`D^*(x)=p_{data}(x)/(p_{data}(x)+p_g(x))`, where
    :math:`-V=\log 4-2\,\mathrm{JSD}(p_{data}\,\|\,p_g)`. TF-GAN's
    ``minimax_discriminator_loss`` defaults to ``label_smoothing=0.25`` and, through
    ``tf.losses.sigmoid_cross_entropy``, smooths towards 1/2: its real target is
    :math:`1-s/2` (0.875), not :math:`1-s`. Set it to 0 to compare.

    References
    ----------
    Goodfellow et al., *Generative Adversarial Nets*, NeurIPS 2014, arXiv:1406.2661.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> round(float(lossbook.gan_discriminator_loss(np.array([0.0]), np.array([0.0]))), 6)
    1.386294
    """
    s = kit.number(label_smoothing, "label_smoothing", "[0, 1)")
    lr, lf = _two(real_logits, fake_logits, ("real_logits", "fake_logits"), reduction)
    xp = namespace(lr)
    return reduce(_softplus(xp, lr) - (1.0 - s) * lr + _softplus(xp, lf), reduction)


def gan_discriminator_loss_grad(real_logits, fake_logits, *, label_smoothing: float = 0.0,
                                reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`gan_discriminator_loss` with respect to both logits.

    .. math::

        \frac{\partial\ell_i}{\partial l^r_i} = \sigma(l^r_i) - (1-s), \qquad
        \frac{\partial\ell_i}{\partial l^f_i} = \sigma(l^f_i)

    Returns
    -------
    tuple of arrays
        ``(d real_logits, d fake_logits)``, each shaped like its argument.
    """
    s = kit.number(label_smoothing, "label_smoothing", "[0, 1)")
    lr, lf = _two(real_logits, fake_logits, ("real_logits", "fake_logits"), reduction)
    xp = namespace(lr)
    g = upstream(lr, reduction, grad_output)
    return (xp.sigmoid(lr) - (1.0 - s)) * g, xp.sigmoid(lf) * g


def gan_generator_loss(fake_logits, *, reduction: str = "mean"):
    r"""The saturating (minimax) generator cost :math:`\log(1-D(G(z)))`, to be minimised.

    .. math::

        \ell_i = \log\bigl(1-\sigma(l^f_i)\bigr) = -\operatorname{softplus}(l^f_i)

    Parameters
    ----------
    fake_logits : array_like
        Discriminator logits on generated samples, any shape.
    reduction : {'mean', 'sum', 'none'}, default 'mean'

    Returns
    -------
    array
        A scalar, or shaped like ``fake_logits`` for ``reduction='none'``.

    Notes
    -----
    It is the generator's side of the zero-sum game (minus the fake term of
    :func:`gan_discriminator_loss`). Its derivative :math:`-\sigma(l^f)` vanishes when the
    discriminator confidently rejects the fakes (:math:`l^f\to-\infty`, :math:`D\to0`), which
    is exactly the situation early in training: the generator stops learning. It is
    negative-valued (a cost to minimise, bounded above by 0).

    References
    ----------
    Goodfellow et al., NeurIPS 2014, arXiv:1406.2661; torchgan
    ``minimax_generator_loss(dgz, nonsaturating=False)``.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> round(float(lossbook.gan_generator_loss(np.array([0.0]))), 6)
    -0.693147
    """
    lf = _one(fake_logits, "fake_logits", reduction)
    return reduce(-_softplus(namespace(lf), lf), reduction)


def gan_generator_loss_grad(fake_logits, *, reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`gan_generator_loss` with respect to ``fake_logits``.

    .. math::

        \frac{\partial\ell_i}{\partial l^f_i} = -\sigma(l^f_i) = -D(G(z_i))
    """
    lf = _one(fake_logits, "fake_logits", reduction)
    return -namespace(lf).sigmoid(lf) * upstream(lf, reduction, grad_output)


def non_saturating_generator_loss(fake_logits, *, reduction: str = "mean"):
    r"""The non-saturating generator cost :math:`-\log D(G(z))` (the ":math:`-\log D` trick").

    .. math::

        \ell_i = -\log\sigma(l^f_i) = \operatorname{softplus}(-l^f_i)

    Parameters
    ----------
    fake_logits : array_like
        Discriminator logits on generated samples, any shape.
    reduction : {'mean', 'sum', 'none'}, default 'mean'

    Returns
    -------
    array
        A scalar, or shaped like ``fake_logits`` for ``reduction='none'``.

    Notes
    -----
    The generator labels its own samples "real" for the cross-entropy. It has the same fixed
    points as the minimax cost but a gradient that tends to :math:`-1` (not 0) as
    :math:`D(G(z))\to0`; the game is no longer zero-sum. Binary cross-entropy with logits
    against 1.

    References
    ----------
    Goodfellow et al., NeurIPS 2014, arXiv:1406.2661 (Sec. 3); Goodfellow, *NIPS 2016
    Tutorial: Generative Adversarial Networks*, arXiv:1701.00160.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> round(float(lossbook.non_saturating_generator_loss(np.array([0.0]))), 6)
    0.693147
    """
    lf = _one(fake_logits, "fake_logits", reduction)
    return reduce(_softplus(namespace(lf), -lf), reduction)


def non_saturating_generator_loss_grad(fake_logits, *, reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`non_saturating_generator_loss` with respect to ``fake_logits``.

    .. math::

        \frac{\partial\ell_i}{\partial l^f_i} = -\sigma(-l^f_i) = -(1-D(G(z_i)))
    """
    lf = _one(fake_logits, "fake_logits", reduction)
    return -namespace(lf).sigmoid(-lf) * upstream(lf, reduction, grad_output)


def maximum_likelihood_generator_loss(fake_logits, *, reduction: str = "mean"):
    r"""Goodfellow's maximum-likelihood generator cost :math:`-\tfrac12 e^{\sigma^{-1}(D(G(z)))}`.

    .. math::

        \ell_i = -\tfrac12\,\exp(l^f_i) = -\frac12\,\frac{D(G(z_i))}{1-D(G(z_i))}

    Parameters
    ----------
    fake_logits : array_like
        Discriminator logits on generated samples, any shape.
    reduction : {'mean', 'sum', 'none'}, default 'mean'

    Returns
    -------
    array
        A scalar, or shaped like ``fake_logits`` for ``reduction='none'``.

    Notes
    -----
    With the optimal discriminator, its expected gradient is the gradient of
    :math:`\mathrm{KL}(p_{data}\,\|\,p_g)`, i.e. of maximum likelihood (Goodfellow 2014b,
    *On distinguishability criteria*). Like the minimax cost it is flat where
    :math:`D(G(z))\to0`; almost all of its gradient comes from the samples the discriminator
    already believes, which makes it high-variance. The third curve of the 2016 tutorial's
    Fig. 16. It overflows for logits above about 709 in float64.

    References
    ----------
    Goodfellow, *NIPS 2016 Tutorial: Generative Adversarial Networks*, arXiv:1701.00160.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> float(lossbook.maximum_likelihood_generator_loss(np.array([0.0])))
    -0.5
    """
    lf = _one(fake_logits, "fake_logits", reduction)
    return reduce(-0.5 * namespace(lf).exp(lf), reduction)


def maximum_likelihood_generator_loss_grad(fake_logits, *, reduction: str = "mean",
                                           grad_output=None):
    r"""Gradient (VJP) of :func:`maximum_likelihood_generator_loss` with respect to ``fake_logits``.

    .. math::

        \frac{\partial\ell_i}{\partial l^f_i} = -\tfrac12\exp(l^f_i)
    """
    lf = _one(fake_logits, "fake_logits", reduction)
    return -0.5 * namespace(lf).exp(lf) * upstream(lf, reduction, grad_output)


# =====================================================================================
# K3. Wasserstein GAN and the gradient penalty
# =====================================================================================
def wgan_critic_loss(real_scores, fake_scores, *, reduction: str = "mean"):
    r"""The Wasserstein critic's loss :math:`\mathbb E[f(G(z))]-\mathbb E[f(x)]`.

    .. math::

        \ell_i = f(G(z_i)) - f(x_i)

    Parameters
    ----------
    real_scores : array_like
        Critic scores :math:`f(x)` on real samples (raw, unbounded), any shape.
    fake_scores : array_like
        Critic scores :math:`f(G(z))`, shaped like ``real_scores``.
    reduction : {'mean', 'sum', 'none'}, default 'mean'

    Returns
    -------
    array
        A scalar, or shaped like ``real_scores`` for ``reduction='none'``.

    Notes
    -----
    Over 1-Lipschitz critics, :math:`-\min_f L_D = W_1(p_{data}, p_g)` (Kantorovich–Rubinstein
    duality). The loss alone is unbounded below: the Lipschitz constraint (weight clipping
    at :math:`c=0.01` in the original WGAN, or :func:`wgan_gradient_penalty` with
    :math:`\lambda=10`) is what makes it a distance. The critic outputs no probability, so no
    sigmoid and no log.

    References
    ----------
    Arjovsky, Chintala & Bottou, *Wasserstein GAN*, ICML 2017, arXiv:1701.07875.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> float(lossbook.wgan_critic_loss(np.array([2.0, 1.0]), np.array([0.0, -1.0])))
    -2.0
    """
    fr, ff = _two(real_scores, fake_scores, ("real_scores", "fake_scores"), reduction)
    return reduce(ff - fr, reduction)


def wgan_critic_loss_grad(real_scores, fake_scores, *, reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`wgan_critic_loss` with respect to both scores.

    .. math::

        \frac{\partial\ell_i}{\partial f(x_i)} = -1, \qquad
        \frac{\partial\ell_i}{\partial f(G(z_i))} = +1

    Returns
    -------
    tuple of arrays
        ``(d real_scores, d fake_scores)`` (:math:`\mp 1/n` each with ``'mean'``).
    """
    fr, ff = _two(real_scores, fake_scores, ("real_scores", "fake_scores"), reduction)
    g = upstream(fr, reduction, grad_output)
    return -g * namespace(fr).ones_like(fr), g * namespace(fr).ones_like(ff)


def wgan_generator_loss(fake_scores, *, reduction: str = "mean"):
    r"""The Wasserstein generator's loss :math:`-\mathbb E[f(G(z))]`.

    .. math::

        \ell_i = -f(G(z_i))

    Parameters
    ----------
    fake_scores : array_like
        Critic scores on generated samples, any shape.
    reduction : {'mean', 'sum', 'none'}, default 'mean'

    Returns
    -------
    array
        A scalar, or shaped like ``fake_scores`` for ``reduction='none'``.

    Notes
    -----
    Its derivative with respect to each score is the constant :math:`-1`: whatever the
    critic thinks of a sample, the generator receives the critic's slope
    :math:`\nabla_x f` at it, which a Lipschitz critic keeps of order 1 almost everywhere.

    References
    ----------
    Arjovsky, Chintala & Bottou, ICML 2017, arXiv:1701.07875.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> float(lossbook.wgan_generator_loss(np.array([0.5, 1.5])))
    -1.0
    """
    ff = _one(fake_scores, "fake_scores", reduction)
    return reduce(-ff, reduction)


def wgan_generator_loss_grad(fake_scores, *, reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`wgan_generator_loss` with respect to ``fake_scores``.

    .. math::

        \frac{\partial\ell_i}{\partial f(G(z_i))} = -1
    """
    ff = _one(fake_scores, "fake_scores", reduction)
    return -namespace(ff).ones_like(ff) * upstream(ff, reduction, grad_output)


def _gradients(gradients, reduction, target, one_sided):
    target = kit.number(target, "target", "[0, inf)")
    one_sided = kit.flag(one_sided, "one_sided")
    g = _one(gradients, "gradients", reduction)
    kit.has_ndim(g, "gradients", "(N, d1, ...): one row of input gradients per sample", at_least=2)
    xp = namespace(g)
    flat = xp.reshape(g, (g.shape[0], -1))
    norm = xp.sqrt(xp.sum(flat * flat, axis=1))
    return g, flat, norm, target, one_sided


def wgan_gradient_penalty(gradients, *, target: float = 1.0, one_sided: bool = False,
                          reduction: str = "mean"):
    r"""WGAN-GP's penalty :math:`(\lVert\nabla_{\hat x}f(\hat x)\rVert_2-1)^2`, from the input gradients.

    .. math::

        \ell_i = \bigl(\lVert g_i\rVert_2 - t\bigr)^2, \qquad
        g_i = \nabla_{\hat x} f(\hat x)\big|_{\hat x_i},\quad
        \hat x_i = \epsilon_i x_i + (1-\epsilon_i)\,G(z_i)

    Parameters
    ----------
    gradients : array_like
        The critic's input gradients at the interpolates, shape :math:`(N, d_1, \dots)`: one
        row per sample, the norm taken over all axes but the first.
    target : float >= 0, default 1
        The target norm :math:`t` (the Lipschitz constant enforced).
    one_sided : bool, default False
        Penalise only norms above the target, :math:`\max(0,\lVert g_i\rVert-t)^2` (Gulrajani
        et al. mention it; TF-GAN's ``one_sided=True``).
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        ``'none'`` gives one term per sample, shape :math:`(N,)`.

    Returns
    -------
    array
        A scalar, or shape :math:`(N,)` for ``reduction='none'``. Multiply by
        :math:`\lambda` (10 in the paper) and add it to :func:`wgan_critic_loss`.

    Notes
    -----
    **Double backward.** Get ``gradients`` from ``torch.autograd.grad(critic(x_hat).sum(),
    x_hat, create_graph=True)``: they are then a differentiable function of the critic's
    weights, and autograd carries the penalty's gradient (this entry's ``_grad``, with respect
    to ``gradients``) on through the critic's second derivatives, also when the penalty runs
    through :func:`lossbook.autograd.function` ``("wgan_gradient_penalty")``. At a zero
    gradient row the norm has no derivative; the ``_grad`` returns 0 there (torch's
    ``linalg.vector_norm`` convention). No :math:`\epsilon` inside the root (TF-GAN adds
    :math:`10^{-10}` to the squared norm; Gulrajani et al.'s code does not). TF-GAN's
    ``wasserstein_gradient_penalty(target=t)`` penalises :math:`(\lVert g\rVert/t-1)^2`, which
    is ours divided by :math:`t^2`; the two agree at the usual :math:`t=1`.

    References
    ----------
    Gulrajani et al., *Improved Training of Wasserstein GANs*, NeurIPS 2017, arXiv:1704.00028.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> float(lossbook.wgan_gradient_penalty(np.array([[3.0, 4.0], [0.6, 0.8]])))
    8.0
    """
    g, flat, norm, target, one_sided = _gradients(gradients, reduction, target, one_sided)
    excess = norm - target
    if one_sided:
        excess = namespace(g).maximum(excess, 0.0)
    return reduce(excess * excess, reduction)


def wgan_gradient_penalty_grad(gradients, *, target: float = 1.0, one_sided: bool = False,
                               reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`wgan_gradient_penalty` with respect to ``gradients``.

    .. math::

        \frac{\partial\ell_i}{\partial g_i} = 2\bigl(\lVert g_i\rVert_2 - t\bigr)\,
        \frac{g_i}{\lVert g_i\rVert_2}

    (the factor :math:`\lVert g_i\rVert-t` replaced by its positive part when ``one_sided``;
    0 at :math:`g_i=0`).
    """
    g, flat, norm, target, one_sided = _gradients(gradients, reduction, target, one_sided)
    xp = namespace(g)
    excess = norm - target
    if one_sided:
        excess = xp.where(excess > 0, excess, 0.0, like=g)
    positive = norm > 0
    inverse = xp.where(positive, 1.0 / xp.where(positive, norm, 1.0), 0.0, like=g)
    scale = 2.0 * excess * inverse * upstream(norm, reduction, grad_output)
    return xp.reshape(flat * scale[:, None], tuple(g.shape))


# =====================================================================================
# K4. Least-squares GAN
# =====================================================================================
def _lsgan_targets(a, b):
    return kit.number(a, "a"), kit.number(b, "b")


def lsgan_discriminator_loss(real_scores, fake_scores, *, a: float = 0.0, b: float = 1.0,
                             reduction: str = "mean"):
    r"""The least-squares GAN discriminator loss: real scores towards :math:`b`, fakes towards :math:`a`.

    .. math::

        \ell_i = \tfrac12\bigl(D(x_i)-b\bigr)^2 + \tfrac12\bigl(D(G(z_i))-a\bigr)^2

    Parameters
    ----------
    real_scores : array_like
        Discriminator outputs :math:`D(x)` on real samples (raw scores, no sigmoid), any shape.
    fake_scores : array_like
        Outputs :math:`D(G(z))`, shaped like ``real_scores``.
    a, b : float, default 0 and 1
        The targets of fake and real samples. :math:`(a,b,c)=(0,1,1)` is the common choice;
        :math:`(-1,1,0)` makes the game minimise the Pearson :math:`\chi^2` divergence of
        :math:`p_{data}+p_g` from :math:`2p_g` (Mao et al., Sec. 3.2: :math:`b-c=1`,
        :math:`b-a=2`).
    reduction : {'mean', 'sum', 'none'}, default 'mean'

    Returns
    -------
    array
        A scalar, or shaped like ``real_scores`` for ``reduction='none'``.

    Notes
    -----
    With the ½ factor (torchgan, TF-GAN and the paper). Unlike the sigmoid cross-entropy, the
    squared error keeps penalising fakes that are on the correct side of the decision
    boundary but far from the real data, so the generator still gets a gradient.

    References
    ----------
    Mao et al., *Least Squares Generative Adversarial Networks*, ICCV 2017, arXiv:1611.04076.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> float(lossbook.lsgan_discriminator_loss(np.array([1.0]), np.array([1.0])))
    0.5
    """
    a, b = _lsgan_targets(a, b)
    dr, df = _two(real_scores, fake_scores, ("real_scores", "fake_scores"), reduction)
    return reduce(0.5 * (dr - b) ** 2 + 0.5 * (df - a) ** 2, reduction)


def lsgan_discriminator_loss_grad(real_scores, fake_scores, *, a: float = 0.0, b: float = 1.0,
                                  reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`lsgan_discriminator_loss` with respect to both scores.

    .. math::

        \frac{\partial\ell_i}{\partial D(x_i)} = D(x_i)-b, \qquad
        \frac{\partial\ell_i}{\partial D(G(z_i))} = D(G(z_i))-a

    Returns
    -------
    tuple of arrays
        ``(d real_scores, d fake_scores)``.
    """
    a, b = _lsgan_targets(a, b)
    dr, df = _two(real_scores, fake_scores, ("real_scores", "fake_scores"), reduction)
    g = upstream(dr, reduction, grad_output)
    return (dr - b) * g, (df - a) * g


def lsgan_generator_loss(fake_scores, *, c: float = 1.0, reduction: str = "mean"):
    r"""The least-squares GAN generator loss: fake scores towards :math:`c`.

    .. math::

        \ell_i = \tfrac12\bigl(D(G(z_i))-c\bigr)^2

    Parameters
    ----------
    fake_scores : array_like
        Discriminator outputs on generated samples (raw scores), any shape.
    c : float, default 1
        The value the generator wants the discriminator to believe for fake data.
    reduction : {'mean', 'sum', 'none'}, default 'mean'

    Returns
    -------
    array
        A scalar, or shaped like ``fake_scores`` for ``reduction='none'``.

    Notes
    -----
    Its derivative :math:`D-c` grows with the distance from the target: a fake that the
    discriminator scores far below :math:`c` receives a large gradient instead of a vanishing
    one.

    References
    ----------
    Mao et al., ICCV 2017, arXiv:1611.04076; torchgan ``least_squares_generator_loss(dgz, c=1.0)``.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> float(lossbook.lsgan_generator_loss(np.array([-1.0])))
    2.0
    """
    c = kit.number(c, "c")
    df = _one(fake_scores, "fake_scores", reduction)
    return reduce(0.5 * (df - c) ** 2, reduction)


def lsgan_generator_loss_grad(fake_scores, *, c: float = 1.0, reduction: str = "mean",
                              grad_output=None):
    r"""Gradient (VJP) of :func:`lsgan_generator_loss` with respect to ``fake_scores``.

    .. math::

        \frac{\partial\ell_i}{\partial D(G(z_i))} = D(G(z_i)) - c
    """
    c = kit.number(c, "c")
    df = _one(fake_scores, "fake_scores", reduction)
    return (df - c) * upstream(df, reduction, grad_output)


# =====================================================================================
# K5. Loss-sensitive GAN
# =====================================================================================
_LS_NAMES = ("real_losses", "fake_losses", "margin")


def loss_sensitive_gan_loss(real_losses, fake_losses, margin, *, weight: float = 1.0,
                            reduction: str = "mean"):
    r"""Qi's loss-sensitive critic objective: real losses low, fakes above them by a margin.

    .. math::

        \ell_i = L_\theta(x_i) + \lambda\,\bigl(\Delta(x_i, G(z_i)) + L_\theta(x_i)
                 - L_\theta(G(z_i))\bigr)_+

    Parameters
    ----------
    real_losses : array_like
        The learned loss :math:`L_\theta(x)` on real samples (raw scores), any shape.
    fake_losses : array_like
        :math:`L_\theta(G(z))`, shaped like ``real_losses``.
    margin : array_like
        The margin :math:`\Delta(x_i, G(z_i))` of each pair (e.g. the L1 distance between
        the real and the generated sample), shaped like ``real_losses``.
    weight : float >= 0, default 1
        :math:`\lambda`, the weight of the hinge.
    reduction : {'mean', 'sum', 'none'}, default 'mean'

    Returns
    -------
    array
        A scalar, or shaped like ``real_losses`` for ``reduction='none'``.

    Notes
    -----
    The generator then minimises :math:`\mathbb E_z[L_\theta(G(z))]` (the mean of
    ``fake_losses``: no separate entry needed). The hinge's derivative is the indicator of an
    **active** margin, strictly positive argument (``torch.relu``'s convention: 0 at the kink).
    Qi abbreviates the method "LS-GAN", which collides with Mao's least-squares GAN (LSGAN).

    References
    ----------
    G.-J. Qi, *Loss-Sensitive Generative Adversarial Networks on Lipschitz Densities*,
    IJCV 2020, arXiv:1701.06264.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> float(lossbook.loss_sensitive_gan_loss(np.array([0.5]), np.array([1.0]), np.array([1.0])))
    1.0
    """
    lam = kit.number(weight, "weight", "[0, inf)")
    lr, lf, m = _three(real_losses, fake_losses, margin, _LS_NAMES, reduction)
    h = m + lr - lf
    return reduce(lr + lam * namespace(lr).where(h > 0, h, 0.0, like=lr), reduction)


def loss_sensitive_gan_loss_grad(real_losses, fake_losses, margin, *, weight: float = 1.0,
                                 reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`loss_sensitive_gan_loss` with respect to the three arrays.

    .. math::

        \frac{\partial\ell_i}{\partial L_\theta(x_i)} = 1 + \lambda\,\mathbb 1[h_i>0],\quad
        \frac{\partial\ell_i}{\partial L_\theta(G(z_i))} = -\lambda\,\mathbb 1[h_i>0],\quad
        \frac{\partial\ell_i}{\partial \Delta_i} = \lambda\,\mathbb 1[h_i>0]

    with :math:`h_i=\Delta_i+L_\theta(x_i)-L_\theta(G(z_i))`.

    Returns
    -------
    tuple of arrays
        ``(d real_losses, d fake_losses, d margin)``.
    """
    lam = kit.number(weight, "weight", "[0, inf)")
    lr, lf, m = _three(real_losses, fake_losses, margin, _LS_NAMES, reduction)
    xp = namespace(lr)
    active = xp.where(m + lr - lf > 0, lam, 0.0, like=lr)
    g = upstream(lr, reduction, grad_output)
    return (1.0 + active) * g, -active * g, active * g


# =====================================================================================
# K6. Perceptual (feature reconstruction and style) loss
# =====================================================================================
def _layers(value, name):
    """``value`` as a list of feature maps and whether it was given as a list."""
    if isinstance(value, (list, tuple)):
        if not value:
            raise ValueError(f"{name} is an empty list: give at least one feature map")
        return [kit.floating(v, f"{name}[{j}]") for j, v in enumerate(value)], True
    return [kit.floating(value, name)], False


def _layer_weights(w, name, count):
    if isinstance(w, (list, tuple)):
        if len(w) != count:
            raise ValueError(f"{name} must be a number or one number per layer ({count}), "
                             f"got {len(w)} numbers")
        return [kit.number(v, f"{name}[{j}]", "[0, inf)") for j, v in enumerate(w)]
    return [kit.number(w, name, "[0, inf)")] * count


def _perceptual_setup(input, target, feature_weight, style_weight, reduction):
    check_reduction(reduction)
    xs, listed = _layers(input, "input")
    if isinstance(target, (list, tuple)) != listed:
        raise ValueError("target must be given like input: a list of feature maps for a list, "
                         "one feature map for one")
    ts, _ = _layers(target, "target")
    if len(ts) != len(xs):
        raise ValueError(f"target must hold one feature map per layer of input ({len(xs)}), "
                         f"got {len(ts)}")
    fw = _layer_weights(feature_weight, "feature_weight", len(xs))
    sw = _layer_weights(style_weight, "style_weight", len(xs))
    pairs = []
    for j, (x, t) in enumerate(zip(xs, ts)):
        nx = f"input[{j}]" if listed else "input"
        nt = f"target[{j}]" if listed else "target"
        kit.has_ndim(x, nx, "(N, C, d1, ...): a batch of feature maps", at_least=3)
        kit.nonempty(x, nx)
        t = kit.match(x, t, (nx, nt))
        if j:
            kit.same_kind(xs[0], x, "input[0]", nx)
            if x.shape[0] != xs[0].shape[0]:
                raise ValueError(f"{nx} must have the batch size of input[0] ({xs[0].shape[0]}), "
                                 f"got {x.shape[0]}")
        pairs.append((x, t))
    return pairs, listed, fw, sw


def _gram(xp, f, k):
    """Gram matrices :math:`F F^\\top / k` of ``f`` with shape (N, C, M): (N, C, C)."""
    if is_torch(f):
        return f @ f.transpose(1, 2) / k
    return np.matmul(f, np.swapaxes(f, 1, 2)) / k


def perceptual_loss(input, target, *, feature_weight=1.0, style_weight=0.0,
                    reduction: str = "mean"):
    r"""Perceptual loss (Johnson et al.): feature reconstruction plus Gram-matrix style, per layer.

    .. math::

        \ell_n = \sum_j w^{feat}_j\,\frac{\lVert\phi_j(\hat y_n)-\phi_j(y_n)\rVert_2^2}{C_jH_jW_j}
               + w^{style}_j\,\bigl\lVert \mathcal G_j(\hat y_n)-\mathcal G_j(y_n)\bigr\rVert_F^2,
        \qquad \mathcal G_j = \frac{F_jF_j^\top}{C_jH_jW_j}

    Parameters
    ----------
    input : array_like or list of array_like
        Feature maps :math:`\phi_j(\hat y)` of the generated image, each of shape
        :math:`(N, C_j, d_1, \dots)`; :math:`F_j` is a map reshaped to
        :math:`C_j\times(H_jW_j)`. One map, or a list with one map per layer (same batch size
        :math:`N`).
    target : array_like or list of array_like
        The maps :math:`\phi_j(y)` of the target image, given like ``input`` (shapes equal,
        layer by layer).
    feature_weight, style_weight : float >= 0 or list of floats, default 1 and 0
        The weights :math:`w^{feat}_j`, :math:`w^{style}_j`: one number for every layer, or one
        per layer. The default is the pure feature reconstruction loss.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        ``'none'`` gives one value per image, shape :math:`(N,)`.

    Returns
    -------
    array
        A scalar, or shape :math:`(N,)` for ``reduction='none'``.

    Notes
    -----
    :math:`\phi` is a fixed network (Johnson et al. use VGG-16's relu1_2 ... relu4_3); only the
    maps enter here, and the gradient with respect to the image is this entry's ``_grad``
    back-propagated through :math:`\phi` (ordinary autograd). Style and content usually come
    from different images: call it twice (``style_weight=0`` against the content maps,
    ``feature_weight=0`` against the style maps) and add. LPIPS is a different, learned metric.

    References
    ----------
    Johnson, Alahi & Fei-Fei, *Perceptual Losses for Real-Time Style Transfer and
    Super-Resolution*, ECCV 2016, arXiv:1603.08155; Gatys, Ecker & Bethge, *A Neural Algorithm
    of Artistic Style*, arXiv:1508.06576.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> x, y = np.ones((1, 2, 2, 2)), np.zeros((1, 2, 2, 2))
    >>> float(lossbook.perceptual_loss(x, y))
    1.0
    >>> float(lossbook.perceptual_loss([x, x], [y, y], feature_weight=0.0, style_weight=1.0))
    2.0
    """
    pairs, _, fw, sw = _perceptual_setup(input, target, feature_weight, style_weight, reduction)
    total = 0.0
    for (x, t), wf, ws in zip(pairs, fw, sw):
        xp = namespace(x)
        n, c = x.shape[0], x.shape[1]
        fx, ft = xp.reshape(x, (n, c, -1)), xp.reshape(t, (n, c, -1))
        k = float(c * fx.shape[2])
        d = fx - ft
        term = wf * xp.sum(d * d, axis=(1, 2)) / k
        if ws:
            dg = _gram(xp, fx, k) - _gram(xp, ft, k)
            term = term + ws * xp.sum(dg * dg, axis=(1, 2))
        total = term + total
    return reduce(total, reduction)


def perceptual_loss_grad(input, target, *, feature_weight=1.0, style_weight=0.0,
                         reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`perceptual_loss` with respect to ``input`` (each layer's map).

    .. math::

        \frac{\partial\ell_n}{\partial F_j(\hat y_n)} =
        w^{feat}_j\,\frac{2\,(F_j(\hat y_n)-F_j(y_n))}{C_jH_jW_j}
        + w^{style}_j\,\frac{4}{C_jH_jW_j}\,\bigl(\mathcal G_j(\hat y_n)-\mathcal G_j(y_n)\bigr)F_j(\hat y_n)

    Returns
    -------
    array or list of arrays
        Shaped like ``input``: one array, or a list with one gradient per layer.
    """
    pairs, listed, fw, sw = _perceptual_setup(input, target, feature_weight, style_weight, reduction)
    x0 = pairs[0][0]
    n = x0.shape[0]
    per_image = namespace(x0).reshape(x0, (n, -1))[:, 0]   # shaped like the unreduced loss
    g = upstream(per_image, reduction, grad_output)
    out = []
    for (x, t), wf, ws in zip(pairs, fw, sw):
        xp = namespace(x)
        c = x.shape[1]
        fx, ft = xp.reshape(x, (n, c, -1)), xp.reshape(t, (n, c, -1))
        k = float(c * fx.shape[2])
        grad = (2.0 * wf / k) * (fx - ft)
        if ws:
            dg = _gram(xp, fx, k) - _gram(xp, ft, k)
            grad = grad + (4.0 * ws / k) * (dg @ fx if is_torch(fx) else np.matmul(dg, fx))
        out.append(xp.reshape(grad * g[:, None, None], tuple(x.shape)))
    return out if listed else out[0]


# =====================================================================================
# Registry entries
# =====================================================================================
def _logits(seed, shape=(3, 4)):
    return kit.real(seed, shape, -4.0, 4.0, avoid=())


def _pair_example(seed):
    return (_logits(seed), _logits(seed + 100)), {}


def _single_example(seed):
    return (_logits(seed),), {}


def _lsgan_d_example(seed):
    return (_logits(seed), _logits(seed + 100)), {"a": -1.0, "b": 1.0}


def _gp_example(seed):
    # rows with norms on both sides of the target, none near 0
    g = kit.real(seed, (4, 3), -1.5, 1.5)
    g[0] *= 3.0
    return (g,), {}


def _ls_example(seed):
    real = kit.real(seed, (6,), -2.0, 2.0, avoid=())
    fake = kit.real(seed + 1, (6,), -2.0, 2.0, avoid=())
    margin = kit.real(seed + 2, (6,), 0.1, 2.0, avoid=())
    # keep every hinge argument away from its kink at 0
    h = margin + real - fake
    fake = np.where(np.abs(h) < 0.1, fake - 0.3, fake)
    return (real, fake, margin), {"weight": 0.7}


def _perceptual_example(seed):
    r = kit.rng(seed)
    x = r.normal(size=(2, 3, 2, 3))
    t = r.normal(size=(2, 3, 2, 3))
    return (x, t), {"feature_weight": 1.0, "style_weight": 0.5}


def _ml_extreme(seed):
    return (kit.real(seed, (3, 4), -700.0, 300.0, avoid=()),), {}


_FAKE = Curve("discriminator logit on fakes", (-6.0, 6.0))
_PAIRED = Curve("discriminator logit on fakes (real logit 1)", (-6.0, 6.0),
                call=lambda x, p: ((np.ones_like(x), x), dict(p)), wrt=1)
_SCORE = Curve("critic score on fakes", (-3.0, 3.0))
_LS_SCORE = Curve("discriminator score on fakes (real score 1)", (-2.0, 3.0),
                  call=lambda x, p: ((np.ones_like(x), x), dict(p)), wrt=1)

FAMILY = Family(key="generative", title="Generative (GAN) and perceptual losses", part="K",
                chapters=("generative_losses",))

_spec = kit.spec_factory(FAMILY, globals(), example=_pair_example)

SPECS = (
    _spec("gan_discriminator_loss", "K1", "生成对抗网络损失 (判别器)",
          "torchgan minimax_discriminator_loss(dx, dgz, label_smoothing=0); "
          "F.binary_cross_entropy_with_logits against 1 and 0; TF-GAN minimax_discriminator_loss "
          "(label_smoothing=0.25 by default)",
          "Goodfellow et al. 2014, arXiv:1406.2661", wrt=(0, 1), curve=_PAIRED,
          params=(Param("label_smoothing", 0.0, 0.0, 0.5, doc="one-sided: real target 1 - s"),)),
    _spec("gan_generator_loss", "K1", "GAN 的基本损失 (饱和生成器损失)",
          "torchgan minimax_generator_loss(dgz, nonsaturating=False) = "
          "-F.binary_cross_entropy_with_logits(dgz, 0)",
          "Goodfellow et al. 2014, arXiv:1406.2661", example=_single_example, curve=_FAKE),
    _spec("non_saturating_generator_loss", "K2", "-log D trick",
          "torchgan minimax_generator_loss(dgz, nonsaturating=True); TF-GAN modified_generator_loss; "
          "F.binary_cross_entropy_with_logits(dgz, 1)",
          "Goodfellow et al. 2014, arXiv:1406.2661", example=_single_example, curve=_FAKE),
    _spec("maximum_likelihood_generator_loss", "K2", "", "-0.5 * torch.exp(dgz) (no library function)",
          "Goodfellow 2016, arXiv:1701.00160 (Fig. 16)", example=_single_example, curve=_FAKE,
          extreme=_ml_extreme, in_seeds=False),
    _spec("wgan_critic_loss", "K3", "Wasserstein GAN (判别器)",
          "TF-GAN wasserstein_discriminator_loss; torchgan wasserstein_discriminator_loss",
          "Arjovsky, Chintala & Bottou 2017, arXiv:1701.07875", wrt=(0, 1),
          curve=Curve("critic score on fakes (real score 1)", (-3.0, 3.0),
                      call=lambda x, p: ((np.ones_like(x), x), dict(p)), wrt=1)),
    _spec("wgan_generator_loss", "K3", "Wasserstein GAN (生成器)",
          "TF-GAN wasserstein_generator_loss; torchgan wasserstein_generator_loss",
          "Arjovsky, Chintala & Bottou 2017, arXiv:1701.07875", example=_single_example,
          curve=_SCORE),
    _spec("wgan_gradient_penalty", "K3", "WGAN-GP 梯度惩罚",
          "TF-GAN wasserstein_gradient_penalty (its epsilon=1e-10 aside); "
          "torch.linalg.vector_norm(g, dim=1).sub(1).square()",
          "Gulrajani et al. 2017, arXiv:1704.00028", example=_gp_example, in_seeds=False,
          params=(Param("target", 1.0, 0.5, 2.0, doc="target norm"),
                  Param("one_sided", False, options=(False, True))),
          curve=Curve("norm of the critic's input gradient", (0.05, 3.0),
                      call=lambda x, p: ((np.stack([0.6 * x, 0.8 * x], axis=1),), dict(p)),
                      select=lambda a: a[:, 0] / 0.6 if np.ndim(a) == 2 else a),
          kinks=(Kink((kit.f64([[0.0, 0.0], [0.0, 2.0]]),), {"reduction": "sum"},
                      kit.f64([[0.0, 0.0], [0.0, 2.0]]),
                      "0 at a zero gradient row (torch's vector_norm subgradient)"),)),
    _spec("lsgan_discriminator_loss", "K4", "LS-GAN (最小二乘 GAN, 判别器)",
          "torchgan least_squares_discriminator_loss(dx, dgz, a, b); TF-GAN least_squares_discriminator_loss",
          "Mao et al. 2017, arXiv:1611.04076", wrt=(0, 1), example=_lsgan_d_example,
          curve=_LS_SCORE, params=(Param("a", 0.0, -1.0, 1.0, doc="target of fakes"),
                                   Param("b", 1.0, 0.0, 2.0, doc="target of reals"))),
    _spec("lsgan_generator_loss", "K4", "LS-GAN (最小二乘 GAN, 生成器)",
          "torchgan least_squares_generator_loss(dgz, c); TF-GAN least_squares_generator_loss",
          "Mao et al. 2017, arXiv:1611.04076", example=_single_example,
          curve=Curve("discriminator score on fakes", (-2.0, 3.0)),
          params=(Param("c", 1.0, 0.0, 1.0, doc="target the generator aims for"),)),
    _spec("loss_sensitive_gan_loss", "K5", "Loss-sensitive-GAN",
          "official guojunq/lsgan (Torch7, not packaged): FD only",
          "Qi 2017/2020, arXiv:1701.06264", wrt=(0, 1, 2), example=_ls_example,
          params=(Param("weight", 1.0, 0.0, 2.0, doc="lambda, the hinge weight"),),
          kinks=(Kink((kit.f64([0.5]), kit.f64([1.5]), kit.f64([1.0])), {"reduction": "sum"},
                      (kit.f64([1.0]), kit.f64([-0.0]), kit.f64([0.0])),
                      "hinge at its kink (h = 0): inactive, torch.relu's convention"),),
          curve=Curve("learned loss on fakes (real 0, margin 1)", (-2.0, 3.0),
                      call=lambda x, p: ((np.zeros_like(x), x, np.ones_like(x)), dict(p)), wrt=1)),
    _spec("perceptual_loss", "K6", "perceptual loss (感知损失)",
          "no library function (LPIPS is a different metric): the formulas in plain torch",
          "Johnson, Alahi & Fei-Fei 2016, arXiv:1603.08155; Gatys et al. 2016, arXiv:1508.06576",
          example=_perceptual_example,
          params=(Param("feature_weight", 1.0, 0.0, 2.0), Param("style_weight", 0.0, 0.0, 2.0))),
)
