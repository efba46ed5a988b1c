"""What ``help(lossbook.<name>)`` shows first: a plain-text formula and the gradient's name.

A value function's docstring carries its mathematics as a reST ``.. math::`` block (LaTeX),
which the website renders; in a terminal that block is raw TeX. At registration
(:func:`lossbook.registry.build`) every registered value function gets two lines after its
one-line summary (itself rewritten in plain text where it has reST roles, the original kept
for the website and the catalog), generated from that block and from the registry:

.. code-block:: text

    Formula: ReLU(x) = max(0, x)
    Gradient: lossbook.relu_grad (the vector–Jacobian product)

:func:`tex_to_text` turns the LaTeX subset the docstrings use into plain Unicode (Greek
letters, ∑, ≤, ², ᵢ, fractions as ``a/b``, ``cases`` as ``{a if c; b if d}``). The website's
API page drops the two lines again (``lossbook.site.sphinx``), since it shows the formula
typeset and the gradient right below the function.
"""
from __future__ import annotations

import re
import textwrap

__all__ = ["tex_to_text", "plain_rest", "help_lines", "add_help_lines", "strip_help_lines", "MARK",
           "SUMMARY_ATTR"]

#: Where :func:`add_help_lines` keeps a summary line it rewrote in plain text (reST roles).
SUMMARY_ATTR = "__lossbook_rest_summary__"

#: The first word of each generated line (the website's API page removes these lines).
MARK = ("Formula: ", "Gradient: ")

_GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ϵ", "varepsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "vartheta": "ϑ", "iota": "ι", "kappa": "κ",
    "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ",
    "tau": "τ", "upsilon": "υ", "phi": "ϕ", "varphi": "φ", "chi": "χ", "psi": "ψ",
    "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ",
    "Pi": "Π", "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
}
_SYMBOLS = {
    "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "ne": "≠", "neq": "≠", "in": "∈",
    "notin": "∉", "approx": "≈", "sim": "~", "propto": "∝", "cdot": "·", "times": "×",
    "odot": "⊙", "otimes": "⊗", "nabla": "∇", "infty": "∞", "partial": "∂", "sum": "∑",
    "prod": "∏", "lVert": "‖", "rVert": "‖", "Vert": "‖", "|": "‖", "lvert": "|",
    "rvert": "|", "mid": "|", "langle": "⟨", "rangle": "⟩", "{": "{", "}": "}", "_": "_",
    "ell": "ℓ", "to": "→", "mapsto": "↦", "rightarrow": "→", "ldots": "…", "cdots": "⋯",
    "dots": "…", "top": "ᵀ", "pm": "±", "forall": "∀", "exists": "∃", "setminus": "∖",
    "cup": "∪", "cap": "∩", "subset": "⊂", "emptyset": "∅", "%": "%", "#": "#", "&": "&",
    ",": " ", ";": " ", ":": " ", " ": " ", "!": "", "quad": "  ", "qquad": "   ",
}
_NAMES = {"log", "ln", "exp", "cos", "sin", "tan", "tanh", "cosh", "sinh", "arctan",
          "arcsin", "arccos", "max", "min", "arg", "sup", "inf", "lim", "det", "sgn", "sign"}
_DROP = {"left", "right", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr", "big", "Big",
         "bigg", "displaystyle", "textstyle", "limits", "nolimits"}
_TEXT = {"operatorname", "mathrm", "text", "texttt", "textbf", "textit", "mathbf", "mathit",
         "mathsf", "boldsymbol", "bm", "mbox"}
_ACCENT = {"hat": "\u0302", "widehat": "\u0302", "tilde": "\u0303", "widetilde": "\u0303",
           "bar": "\u0304", "overline": "\u0304", "dot": "\u0307", "vec": "\u20d7"}
_BLACKBOARD = {"R": "ℝ", "N": "ℕ", "Z": "ℤ", "E": "𝔼", "P": "ℙ", "1": "𝟙", "I": "𝟙"}
_CALLIGRAPHIC = {"L": "ℒ", "N": "𝒩", "D": "𝒟", "B": "ℬ", "E": "ℰ", "F": "ℱ", "H": "ℋ",
                 "M": "ℳ", "R": "ℛ", "U": "𝒰", "O": "𝒪", "S": "𝒮", "T": "𝒯", "X": "𝒳"}
_SUP = dict(zip("0123456789+-=()nixjkTtabcde", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱˣʲᵏᵀᵗᵃᵇᶜᵈᵉ"))
_SUB = dict(zip("0123456789+-=()aeijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ"))
_VULGAR = {("1", "2"): "½", ("1", "3"): "⅓", ("2", "3"): "⅔", ("1", "4"): "¼", ("3", "4"): "¾"}


class _Reader:
    """A cursor over a LaTeX string that hands out tokens and brace groups."""

    def __init__(self, text: str):
        self.s, self.i = text, 0

    def done(self) -> bool:
        return self.i >= len(self.s)

    def skip_space(self):
        while not self.done() and self.s[self.i] in " \t\n":
            self.i += 1

    def command(self) -> str:
        """The name after a backslash (letters, or one other character)."""
        start = self.i
        if self.i < len(self.s) and self.s[self.i].isalpha():
            while self.i < len(self.s) and self.s[self.i].isalpha():
                self.i += 1
        else:
            self.i += 1
        return self.s[start:self.i]

    def group(self) -> str:
        """The raw LaTeX of the next argument: a ``{...}`` group, a command or one character."""
        self.skip_space()
        if self.done():
            return ""
        c = self.s[self.i]
        if c == "{":
            depth, start = 0, self.i
            while self.i < len(self.s):
                if self.s[self.i] == "\\":
                    self.i += 2
                    continue
                if self.s[self.i] == "{":
                    depth += 1
                elif self.s[self.i] == "}":
                    depth -= 1
                    if depth == 0:
                        self.i += 1
                        return self.s[start + 1:self.i - 1]
                self.i += 1
            return self.s[start + 1:]
        if c == "\\":
            self.i += 1
            return "\\" + self.command()
        self.i += 1
        return c


_SCRIPTS = "²³⁰¹⁴⁵⁶⁷⁸⁹ⁿⁱˣʲᵏᵀᵗᵃᵇᶜᵈᵉ⁺⁻⁼⁽⁾ᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓₐₑ₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎"
_ATOM = re.compile(
    r"(?:\d+(?:\.\d+)?|[^\W\d_][^\W_]*[\u0302\u0303\u0304\u0307\u20d7]?)"   # a number or a name
    r"(?:[" + _SCRIPTS + r"]|[_^](?:[^\W_]+|\([^()]*\)))*"              # its scripts
    r"(?:\([^()]*\))?")                                             # a call: f(x)


def _atomic(text: str) -> bool:
    """Whether ``text`` reads as one factor without parentheses (``x``, ``2``, ``pᵢ``, ``f(x)``)."""
    t = text.strip()
    if not t or _ATOM.fullmatch(t) or re.fullmatch(r"\([^()]*\)", t):
        return True
    return re.fullmatch(r"‖[^‖]*‖[²₂]*|\|[^|]*\|", t) is not None


def _paren(text: str) -> str:
    return text.strip() if _atomic(text) else f"({text.strip()})"


def _script(text: str, table: dict, mark: str) -> str:
    t = text.strip()
    core = t.strip("+-()")
    short = len(core) <= 1 or core.isdigit()
    if t and short and all(c in table for c in t):
        return "".join(table[c] for c in t)
    if mark == "^" and t in ("ᵀ", "*"):
        return t
    if re.fullmatch(r"[^\W_]+|\([^()]*\)", t):
        return f"{mark}{t}"
    return f"{mark}({t})"


def _cases(body: str) -> str:
    rows = [r for r in re.split(r"\\\\(?:\[[^\]]*\])?", body) if r.strip()]
    out = []
    for row in rows:
        value, _, condition = row.partition("&")
        value, condition = tex_to_text(value), tex_to_text(condition)
        condition = re.sub(r"^(if|otherwise)\s*", lambda m: m.group(1) + " ", condition).strip()
        if condition and not condition.startswith(("if ", "otherwise")):
            condition = "if " + condition
        out.append(f"{value.rstrip(', ')} {condition}".strip())
    return "{" + "; ".join(out) + "}"


def _convert(tex: str) -> str:
    r = _Reader(tex)
    out: list[str] = []
    while not r.done():
        c = r.s[r.i]
        if c == "\\":
            r.i += 1
            name = r.command()
            if name == "\\":
                out.append("; ")
            elif name in ("frac", "tfrac", "dfrac", "cfrac"):
                num, den = _convert(r.group()), _convert(r.group())
                vulgar = _VULGAR.get((num.strip(), den.strip()))
                out.append(vulgar if vulgar else f" {_paren(num)}/{_paren(den)} ")
            elif name == "sqrt":
                r.skip_space()
                if not r.done() and r.s[r.i] == "[":
                    end = r.s.index("]", r.i)
                    r.i = end + 1
                out.append("√" + _paren(_convert(r.group())))
            elif name == "begin":
                env = r.group()
                end = r.s.find(f"\\end{{{env}}}", r.i)
                end = len(r.s) if end < 0 else end
                body, r.i = r.s[r.i:end], end + len(f"\\end{{{env}}}")
                out.append(_cases(body) if env == "cases" else tex_to_text(body.replace("&", "")))
            elif name in _TEXT:
                arg = r.group()
                if name.startswith("text") or name == "mbox":
                    out.append(re.sub(r"\\([_%#&{}$])", r"\1", arg))
                else:
                    out.append(_convert(arg))
            elif name == "mathbb":
                arg = r.group().strip()
                out.append(_BLACKBOARD.get(arg, arg))
            elif name == "mathcal":
                arg = r.group().strip()
                out.append(_CALLIGRAPHIC.get(arg, arg))
            elif name in _ACCENT:
                arg = _convert(r.group()).strip()
                out.append(arg + _ACCENT[name] if len(arg) == 1 else f"{_ACCENT_WORD[name]}({arg})")
            elif name in _GREEK:
                out.append(_GREEK[name])
            elif name == "Vert":  # the middle bar of D(p‖q)
                while out and out[-1].endswith(" "):
                    out[-1] = out[-1].rstrip()
                    if not out[-1]:
                        out.pop()
                out.append("‖")
                r.skip_space()
            elif name in ("lVert", "lvert", "langle"):
                out.append(_SYMBOLS[name])
                r.skip_space()
            elif name in ("rVert", "rvert", "rangle"):
                while out and out[-1].endswith(" "):
                    out[-1] = out[-1].rstrip()
                    if not out[-1]:
                        out.pop()
                out.append(_SYMBOLS[name])
            elif name in _SYMBOLS:
                out.append(_SYMBOLS[name])
            elif name in _NAMES:
                out.append(f" {name} ")
            elif name in _DROP:
                pass
            else:
                out.append(name)
        elif c in "^_":
            r.i += 1
            arg = _convert(r.group())
            out.append(_script(arg, _SUP if c == "^" else _SUB, c))
        elif c in "{}":
            r.i += 1
        elif c == "&":
            r.i += 1
        elif c in "\n\t":
            r.i += 1
            out.append(" ")
        else:
            r.i += 1
            out.append(c)
    return "".join(out)


_ACCENT_WORD = {"hat": "hat", "widehat": "hat", "tilde": "tilde", "widetilde": "tilde",
                "bar": "mean", "overline": "mean", "dot": "dot", "vec": "vec"}


def tex_to_text(tex: str) -> str:
    """LaTeX math (the subset the docstrings use) as one line of plain Unicode text.

    >>> tex_to_text(r"\\ell_\\delta(r) = \\tfrac12 r^2")
    'ℓ_δ(r) = ½ r²'
    >>> tex_to_text(r"\\operatorname{softmax}(z)_i = \\frac{e^{z_i}}{\\sum_j e^{z_j}}")
    'softmax(z)ᵢ = e^zᵢ/(∑ⱼ e^zⱼ)'
    """
    text = _convert(tex.replace("\n\n", " \\\\ "))
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\s*;\s*(;\s*)*", "; ", text)
    text = re.sub(r"\barg (max|min)", r"arg\1", text)
    names = "|".join(sorted(_NAMES | {"argmax", "argmin"}, key=len, reverse=True))
    text = re.sub(rf"\b({names}) (?=[(_{_SCRIPTS}])", r"\1", text)
    text = re.sub(r"([(\[{]) +", r"\1", text)
    text = re.sub(r" +([)\]},.])", r"\1", text)
    text = re.sub(r"\s+(?=[" + _SCRIPTS + "])", "", text)
    return text.strip(" ;,")


def plain_rest(line: str) -> str:
    """A docstring line's reST as plain text: ``:math:`x^2``` -> ``x²``, ``:func:`~a.b``` -> ``b``,
    ````code```` -> ``code``."""
    line = re.sub(r":math:`([^`]*)`", lambda m: tex_to_text(m.group(1)), line)
    line = re.sub(r":(?:py:)?\w+:`~?(?:[^`<]*<)?([^`>]*)>?`",
                  lambda m: m.group(1).rsplit(".", 1)[-1], line)
    return re.sub(r"``([^`]*)``", r"\1", line)


def help_lines(name: str, tex: str, width: int = 84) -> list[str]:
    """The ``Formula:`` line(s) (wrapped at ``width``) and the ``Gradient:`` line of ``name``."""
    lines = []
    if tex:
        lines += textwrap.wrap(tex_to_text(tex), width=width, initial_indent=MARK[0],
                               subsequent_indent=" " * len(MARK[0]), break_on_hyphens=False)
    lines.append(f"{MARK[1]}lossbook.{name}_grad (its vector–Jacobian product)")
    return lines


def add_help_lines(spec) -> None:
    """Insert :func:`help_lines` after the summary of ``spec.value``'s docstring (once)."""
    function = spec.value
    doc = function.__doc__
    if not doc or any(line.strip().startswith(MARK[1] + "lossbook.")
                      for line in doc.splitlines()[:12]):
        return
    first, sep, rest = doc.partition("\n")
    indent = ""
    for line in rest.splitlines():
        if line.strip():
            indent = line[:len(line) - len(line.lstrip())]
            break
    plain = plain_rest(first)
    if plain != first:
        setattr(function, SUMMARY_ATTR, first.strip())
    block = "\n".join(indent + line for line in help_lines(spec.name, spec.formula))
    function.__doc__ = f"{plain}\n\n{block}{sep}{rest}" if sep else f"{plain}\n\n{block}\n"


def strip_help_lines(lines: list[str], obj=None) -> None:
    """Remove the generated lines (and the blank line after them) from ``lines`` in place
    (an ``autodoc-process-docstring`` handler's list of docstring lines), and give back the
    summary line of ``obj`` its reST."""
    if lines and getattr(obj, SUMMARY_ATTR, None):
        lines[0] = getattr(obj, SUMMARY_ATTR)
    out, skipping, removed = [], False, None
    for line in lines:
        if line.startswith(MARK):
            skipping, removed = True, len(out) if removed is None else removed
            continue
        if skipping and line.startswith(" " * len(MARK[0])) and line.strip():
            continue
        skipping = False
        out.append(line)
    if removed is not None and removed < len(out) and not out[removed].strip() \
            and (removed == 0 or not out[removed - 1].strip()):
        del out[removed]
    lines[:] = out
