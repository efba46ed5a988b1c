"""Cosine similarity and its vector-Jacobian product, written once for parts H and I.

With :math:`\\hat u = u/\\lVert u\\rVert` and :math:`\\cos(u,v)=\\hat u^\\top\\hat v`,

.. math::

    \\frac{\\partial\\cos(u,v)}{\\partial u} = \\frac{\\hat v - \\cos(u,v)\\,\\hat u}{\\lVert u\\rVert},

so for the matrix :math:`S_{ij}=\\cos(a_i,b_j)` and an incoming gradient :math:`G` (shaped like
:math:`S`), :math:`\\partial/\\partial a_i = (\\sum_j G_{ij}\\hat b_j - (\\sum_j G_{ij}S_{ij})\\hat
a_i)/\\lVert a_i\\rVert` and symmetrically for :math:`b_j`. The angular-margin heads, GE2E,
InfoNCE and MNRL all go through :func:`cosine_matrix` and :func:`cosine_matrix_vjp`.
"""
from __future__ import annotations

__all__ = ["row_norms", "cosine_matrix", "cosine_matrix_vjp"]


def row_norms(x, xp):
    """Euclidean norm of each row of ``x`` (shape ``(n, 1)``)."""
    return xp.sqrt(xp.sum(x * x, axis=1, keepdims=True))


def cosine_matrix(a, b, xp):
    """``(S, a_hat, b_hat, |a|, |b|)`` with ``S[i, j] = cos(a_i, b_j)``."""
    na, nb = row_norms(a, xp), row_norms(b, xp)
    ah, bh = a / na, b / nb
    return ah @ bh.T, ah, bh, na, nb


def cosine_matrix_vjp(G, S, ah, bh, na, nb, xp):
    """Gradients ``(d/da, d/db)`` of ``sum(G * S)`` for ``S = cosine_matrix(a, b)``."""
    grad_a = (G @ bh - xp.sum(G * S, axis=1, keepdims=True) * ah) / na
    grad_b = (G.T @ ah - xp.sum(G * S, axis=0, keepdims=True).T * bh) / nb
    return grad_a, grad_b
