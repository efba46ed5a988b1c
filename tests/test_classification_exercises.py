"""The solutions printed in the classification chapters' exercises really pass lossbook.check."""
from __future__ import annotations

import numpy as np

import lossbook
from lossbook.experiments.toy import population_minimiser


def _mean(g, reduction):
    return g / g.size if reduction == "mean" else g


def test_information_theory_pos_weight_solution():
    def my_grad(input, target, weight=None, pos_weight=None, reduction="mean"):
        P = 1.0 if pos_weight is None else pos_weight
        w = 1.0 if weight is None else weight
        with np.errstate(over="ignore"):
            s = 1 / (1 + np.exp(-input))
        return _mean(w * ((P * target + 1 - target) * s - P * target), reduction)

    report = lossbook.check("binary_cross_entropy_with_logits", grad=my_grad)
    assert report.ok, report


def test_information_theory_logistic_solution():
    def my_grad(input, target, reduction="mean"):
        with np.errstate(over="ignore"):
            return _mean(-target / (1 + np.exp(target * input)), reduction)

    report = lossbook.check("logistic_loss", grad=my_grad)
    assert report.ok, report


def test_information_theory_gap_solution():
    C, eps = 10, 0.1
    z = np.zeros(C)
    z[0] = np.log((1 - eps + eps / C) / (eps / C))
    np.testing.assert_allclose(lossbook.cross_entropy_grad(z, np.array(0), label_smoothing=eps), 0, atol=1e-15)


def test_information_theory_gibbs_solution():
    for C in (2, 5, 10):
        assert abs(float(lossbook.entropy(np.full(C, 1 / C))) - np.log(C)) < 1e-14
        p = np.random.default_rng(C).dirichlet(np.ones(C))
        q = np.random.default_rng(C + 1).dirichlet(np.ones(C))
        assert float(lossbook.kl_div(np.log(q), p, reduction="sum")) >= 0.0


def test_margin_hinge_solution_and_the_wrong_kink():
    def my_grad(input, target, reduction="mean"):
        return _mean(np.where(target * input <= 1, -target, 0.0), reduction)

    def strict(input, target, reduction="mean"):
        return _mean(np.where(target * input < 1, -target, 0.0), reduction)

    assert lossbook.check("hinge_loss", grad=my_grad).ok
    report = lossbook.check("hinge_loss", grad=strict)
    assert not report.ok and "kink" in repr(report)


def test_margin_perceptron_solution():
    def my_grad(input, target, reduction="mean"):
        return _mean(np.where(target * input <= 0, -target, 0.0), reduction)

    assert lossbook.check("perceptron_loss", grad=my_grad).ok


def test_margin_exponential_and_two_class_solutions():
    eta = np.array([0.2, 0.6, 0.9])
    np.testing.assert_allclose(population_minimiser("exponential_loss", eta), 0.5 * np.log(eta / (1 - eta)), atol=1e-3)
    f = np.array([-1.5, 0.2, 2.0])
    y = np.array([1.0, -1.0, 1.0])
    scores = np.stack([np.zeros(3), f], axis=1)
    np.testing.assert_allclose(2 * lossbook.multi_margin_loss(scores, ((y + 1) // 2).astype(int), reduction="none"),
                               lossbook.hinge_loss(f, y, reduction="none"))
