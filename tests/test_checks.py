"""The checkers must be able to fail: feed them known-wrong implementations."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import lossbook
from lossbook import checks, registry


def test_check_derivation_passes_for_every_entry():
    for name in lossbook.REGISTRY:
        result = checks.check_derivation(name)
        assert result.ok, result


def test_check_derivation_catches_a_wrong_gradient(monkeypatch):
    spec = lossbook.REGISTRY["tanh"]
    wrong = dataclasses.replace(spec, grad=lambda input, *, grad_output=None: 1 - np.tanh(input))
    monkeypatch.setitem(registry.REGISTRY, "tanh", wrong)
    result = checks.check_derivation("tanh")
    assert not result.ok
    assert "MISMATCH" in repr(result) and "<table>" in result._repr_html_()


def test_check_accepts_a_correct_student_implementation():
    report = lossbook.check("tanh", value=np.tanh, grad=lambda x: 1 - np.tanh(x) ** 2)
    assert report.ok, report


def test_check_reports_a_kink_convention():
    report = lossbook.check("relu", grad=lambda x: (x >= 0).astype(float))
    assert not report.ok
    assert any("kink" in m and not ok for ok, m in report.findings)


def test_check_reports_overflow_of_a_naive_formula():
    report = lossbook.check("softsign", value=lambda x: x / (1 + np.abs(x)),
                            grad=lambda x: 1 / (1 + np.abs(x)) ** 2)
    assert report.ok, report
    report = lossbook.check("logsigmoid", value=lambda x: np.log(1 / (1 + np.exp(-x))))
    assert not report.ok and "inf/NaN" in repr(report)


def test_check_reports_shape_and_exceptions():
    report = lossbook.check("softmax", value=lambda x, dim=-1: np.exp(x).sum())
    assert not report.ok and "shape" in repr(report)
    report = lossbook.check("sigmoid", value=lambda x: 1 / 0)
    assert not report.ok and "ZeroDivisionError" in repr(report)


def test_check_reports_a_wrong_factor():
    report = lossbook.check("sigmoid", grad=lambda x: 2 * np.exp(-np.logaddexp(0, -x)) * np.exp(-np.logaddexp(0, x)))
    assert not report.ok


def test_check_needs_something_to_check():
    with pytest.raises(ValueError, match="value="):
        lossbook.check("sigmoid")


def test_unknown_name_suggests_close_matches():
    with pytest.raises(KeyError, match="sigmoid"):
        lossbook.check("sigmod", value=np.tanh)


def test_check_counts_only_the_cases_it_compared():
    """A student loss without ``reduction`` is compared at the default only, and can pass."""
    import numpy as np

    report = lossbook.check("mse_loss", value=lambda input, target: np.mean((input - target) ** 2),
                            grad=lambda input, target: 2 * (input - target) / input.size)
    assert report.ok, report
    assert "only the default 'mean' was compared" in repr(report)
    assert "3 of 3 cases match" in repr(report) or "4 of 4 cases match" in repr(report)


def _student_kl(batchmean_is_mean=False):
    import numpy as np

    def kl(input, target, reduction="mean", log_target=False):
        p = np.exp(target) if log_target else target
        terms = np.where(p > 0, p * (np.log(np.where(p > 0, p, 1.0)) - input), 0.0)
        batchmean = terms.mean() if batchmean_is_mean else terms.sum() / input.shape[0]
        return {"none": terms, "sum": terms.sum(), "mean": terms.mean(), "batchmean": batchmean}[reduction]
    return kl


def test_check_tries_every_reduction_the_spec_declares():
    """kl_div declares 'batchmean': the checker compares it too, and names the classic mistake."""
    good = lossbook.check("kl_div", value=_student_kl())
    assert good.ok, good
    n_cases = 3 * len(lossbook.REGISTRY["kl_div"].reductions) + 1  # three seeds, plus extreme inputs
    assert f"value: {n_cases} of {n_cases} cases match" in repr(good)
    bad = lossbook.check("kl_div", value=_student_kl(batchmean_is_mean=True))
    assert not bad.ok
    assert "(reduction='batchmean'): max |difference|" in repr(bad)
    assert "'batchmean' divides the sum by the batch size" in repr(bad)


# --- the student checker cannot be fooled or crashed (issue 14 item 7, issue 16 item 6) -----
def _softmax(x):
    z = np.exp(x - x.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def _plain_ce_grad(input, target):
    """A correct plain cross-entropy gradient without weight, ignore_index or reduction."""
    g = _softmax(input)
    g[np.arange(len(target)), target] -= 1
    return g / len(target)


def test_a_correct_plain_gradient_passes_and_the_summary_agrees_with_the_details():
    report = lossbook.check("cross_entropy", grad=_plain_ce_grad)
    assert report.ok, report
    assert "not counted: the cases that use ignore_index" in repr(report)
    assert not [m for ok, m in report.findings if not ok]


def test_a_wrong_plain_gradient_still_fails():
    report = lossbook.check("cross_entropy", grad=lambda i, t: 2 * _plain_ce_grad(i, t))
    assert not report.ok
    assert "0 of" in repr(report)


def test_a_case_that_raises_counts_as_a_failure_in_the_summary():
    calls = []

    def sometimes(x):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("boom")
        return np.tanh(x)

    report = lossbook.check("tanh", value=sometimes)
    assert not report.ok
    assert "value: 3 of 4 cases match" in repr(report) and "RuntimeError: boom" in repr(report)


@pytest.mark.parametrize("returned, words", [
    (lambda x: None, "returned None"),
    (lambda x: "0.5", "returned a str"),
    (lambda x: {"value": x}, "returned a dict"),
    (lambda x: [[1.0], [1.0, 2.0]], "not an array of numbers"),
    (lambda x: np.tanh(x).astype(complex), "complex"),
    (lambda x: (np.tanh(x), np.tanh(x)), "tuple of 2"),
    (lambda x: np.tanh, "returned a"),
])
def test_unusable_results_get_a_clear_verdict(returned, words):
    report = lossbook.check("tanh", value=returned, grad=returned)
    assert not report.ok
    assert words in repr(report), report


def test_a_tensor_that_requires_grad_is_compared_like_an_array():
    torch = pytest.importorskip("torch")

    def value(x):
        return torch.tanh(torch.tensor(x, requires_grad=True))

    assert lossbook.check("tanh", value=value).ok
    wrong = lossbook.check("tanh", value=lambda x: torch.tensor(x, requires_grad=True) * 1.0)
    assert not wrong.ok


def test_a_list_of_numbers_is_an_array():
    assert lossbook.check("tanh", value=lambda x: np.tanh(x).tolist()).ok


def test_gradient_tuples_must_have_one_entry_per_argument():
    spec = lossbook.REGISTRY["margin_ranking_loss"]
    assert len(spec.wrt) == 2

    def right(*args, **kwargs):
        return spec.grads(*args, **kwargs)

    assert lossbook.check("margin_ranking_loss", grad=right).ok
    missing = lossbook.check("margin_ranking_loss", grad=lambda *a, **k: right(*a, **k)[:1])
    extra = lossbook.check("margin_ranking_loss", grad=lambda *a, **k: right(*a, **k) + (a[0],))
    assert not missing.ok and "returned 1 gradients, expected 2" in repr(missing)
    assert not extra.ok and "returned 3 gradients, expected 2" in repr(extra)


def test_autograd_is_an_attribute_after_import():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", "import lossbook; print(lossbook.autograd.__name__)"],
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "lossbook.autograd"


def test_check_derivations_is_one_labelled_table_of_all_rows():
    from lossbook.checks import check_derivation, check_derivations

    names = ["sigmoid", "huber_loss", "binary_cross_entropy"]
    merged = check_derivations(names, title="Gradients of this section")
    single = [check_derivation(n) for n in names]
    assert merged.ok and [label for label, _ in merged.checks] == names
    page = merged._repr_html_()
    assert page.count("<table>") == 1 and "<caption>Gradients of this section: all agree" in page
    assert page.count("<tr>") == 1 + sum(len(c.rows) for c in single)
    text = repr(merged).splitlines()
    assert len(text) == 2 + sum(len(c.rows) for c in single)
    with pytest.raises(TypeError, match="items"):
        check_derivations("sigmoid")
    with pytest.raises(TypeError, match="each item"):
        check_derivations([3])
    labelled = check_derivations([("GELU, tanh form", check_derivation("gelu", kwargs={"approximate": "tanh"}))])
    assert "<code>GELU, tanh form</code>" in labelled._repr_html_()
