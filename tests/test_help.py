"""``help(lossbook.<name>)`` in a terminal: a plain-text formula first, and the gradient's name.

For every registry entry (issue 16 item 2) the text pydoc shows has, within its first lines, a
``Formula:`` line in plain Unicode and a ``Gradient: lossbook.<name>_grad`` pointer, and no raw
reST or TeX (``:math:``, ``.. math::``, backslash commands) before them. The converter
:func:`lossbook._helptext.tex_to_text` is checked against hand-written expectations.
"""
from __future__ import annotations

import inspect
import pydoc
import re

import pytest

import lossbook
from lossbook import REGISTRY
from lossbook._helptext import help_lines, plain_rest, strip_help_lines, tex_to_text

TEX = re.compile(r":math:|\.\. math::|\\[A-Za-z]+|\\frac")


def _help(fn) -> list[str]:
    return pydoc.render_doc(fn, renderer=pydoc.plaintext).splitlines()


@pytest.mark.parametrize("name", list(REGISTRY))
def test_help_starts_with_a_plain_formula_and_the_gradient(name):
    spec = REGISTRY[name]
    lines = [line.strip() for line in _help(getattr(lossbook, name))]
    head = lines[:5]
    assert not any(TEX.search(line) for line in head), head
    formula = next(i for i, line in enumerate(lines) if line.startswith("Formula: "))
    gradient = next(i for i, line in enumerate(lines) if line.startswith("Gradient: "))
    assert formula <= 5 and formula < gradient <= formula + 6, lines[:12]
    assert lines[gradient].startswith(f"Gradient: lossbook.{name}_grad "), lines[gradient]
    assert getattr(lossbook, f"{name}_grad") is spec.grad
    block = " ".join(lines[formula:gradient])
    assert not TEX.search(block) and "{{" not in block, block
    # the formula block is the docstring's first math block, converted (and only once)
    assert block.count("Formula:") == 1
    assert sum(line.startswith("Gradient: ") for line in lines) == 1
    # the summary comes first, in plain text; the catalog and the website keep its reST, and
    # the typeset math block is still in the docstring below
    assert lines[3] == plain_rest(spec.summary).strip()
    assert spec.formula == "" or ".. math::" in spec.value.__doc__


def test_aliases_show_the_same_help():
    for spec in REGISTRY.values():
        for alias in spec.aliases:
            assert getattr(lossbook, alias).__doc__ == spec.value.__doc__


@pytest.mark.parametrize("tex, text", [
    (r"\operatorname{ReLU}(x) = \max(0, x)", "ReLU(x) = max(0, x)"),
    (r"\sigma(x) = \frac{1}{1 + e^{-x}}", "σ(x) = 1/(1 + e⁻ˣ)"),
    (r"\ell_\delta(r) = \begin{cases} \tfrac12 r^2 & |r| < \delta \\"
     r" \delta\,\bigl(|r| - \tfrac12\delta\bigr) & |r| \ge \delta \end{cases}",
     "ℓ_δ(r) = {½ r² if |r| < δ; δ (|r| - ½δ) if |r| ≥ δ}"),
    (r"\frac{r^2}{2\beta}", "r²/(2β)"),
    (r"H(p) = -\sum_i p_i \log p_i", "H(p) = -∑ᵢ pᵢ log pᵢ"),
    (r"\ell_i = \tfrac12\,\lVert x_i - c_{y_i}\rVert_2^2", "ℓᵢ = ½ ‖xᵢ - c_yᵢ‖₂²"),
    (r"\mathbb 1[x > 0]", "𝟙[x > 0]"),
    (r"\sqrt{x^2 + b}", "√(x² + b)"),
    (r"x^{(1)}_i", "x⁽¹⁾ᵢ"),
    (r"\text{log\_input}", "log_input"),
])
def test_tex_to_text(tex, text):
    assert tex_to_text(tex) == text


def test_plain_rest():
    assert plain_rest("Maps onto :math:`(0, 1)`; see :func:`~lossbook.relu` and ``x``.") == \
        "Maps onto (0, 1); see relu and x."
    assert plain_rest(":math:`D_{KL}(p\\Vert q)`") == "D_KL(p‖q)"


def test_help_lines_wrap_and_strip_again():
    lines = help_lines("example", r"a = " + " + ".join(rf"\alpha_{i}" for i in range(60)))
    assert lines[0].startswith("Formula: a = α₀") and len(lines) > 2
    assert all(len(line) <= 84 for line in lines)
    assert all(line.startswith(" " * 9) for line in lines[1:-1])
    assert lines[-1] == "Gradient: lossbook.example_grad (its vector–Jacobian product)"
    doc = ["Summary.", ""] + lines + ["", ".. math::", "", "    a", ""]
    strip_help_lines(doc)
    assert doc == ["Summary.", "", ".. math::", "", "    a", ""]
    sigmoid = lossbook.sigmoid
    doc = inspect.getdoc(sigmoid).splitlines()  # as autodoc hands them over
    strip_help_lines(doc, sigmoid)
    assert doc[0] == REGISTRY["sigmoid"].summary and ":math:" in doc[0]
    assert not any(line.lstrip().startswith(("Formula: ", "Gradient: ")) for line in doc)
