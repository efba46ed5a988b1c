"""Pages of the book generated at build time: the catalog and the errata (MyST Markdown).

``chapters/catalog.ipynb`` and ``chapters/errata.ipynb`` display these strings with
``IPython.display.Markdown``; the build executes the notebooks, so the pages follow the
registry (:data:`lossbook.REGISTRY`), the errata list (:mod:`lossbook._errata`) and the
book's table of contents at every build. A chapter is linked only when ``_toc.yml`` lists it.
"""
from __future__ import annotations

import re
from pathlib import Path

from ._errata import ERRATA, SEEDS, SEVERITY
from .registry import FAMILIES, REGISTRY

__all__ = ["toc_docnames", "catalog_table", "catalog_family", "errata_markdown", "errata_for"]

_ROOT = Path(__file__).resolve().parent.parent


def rst_roles_to_myst(text: str) -> str:
    """A docstring line's reST roles as Markdown: ``:math:`x``` -> ``$x$``, ``:func:`~a.b``` -> ```b```.

    Examples
    --------
    >>> rst_roles_to_myst("range :math:`(0, 1)`, see :func:`~lossbook.mse_loss`")
    'range $(0, 1)$, see `mse_loss`'
    """
    import re

    text = re.sub(r":math:`([^`]*)`", r"$\1$", text)
    text = re.sub(r":(?:py:)?(?:func|class|mod|meth|attr|data|obj):`~([^`]*?)([^.`]*)`", r"`\2`", text)
    return re.sub(r":(?:py:)?(?:func|class|mod|meth|attr|data|obj):`([^`]*)`", r"`\1`", text)


def toc_docnames(toc: str | Path | None = None) -> set[str]:
    """Docnames (``chapters/regression``) listed in the book's ``_toc.yml``."""
    import yaml

    path = Path(toc) if toc is not None else _ROOT / "_toc.yml"
    names: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            for key in ("root", "file"):
                if isinstance(node.get(key), str):
                    names.add(re.sub(r"\.(md|ipynb)$", "", node[key]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(yaml.safe_load(path.read_text(encoding="utf-8")))
    return names


def _chapter_link(chapter: str, toc: set[str]) -> str:
    """A ``{doc}`` link from a page in chapters/ to ``chapter``, or plain text if not in the toc."""
    if not chapter:
        return ""
    if f"chapters/{chapter}" in toc:
        return f"{{doc}}`{chapter}`"
    return f"`{chapter}` (in preparation)"


def _api(func) -> str:
    return f"{{py:func}}`~{func.__module__}.{func.__name__}`"


def errata_for(catalog_id: str) -> list:
    """The errata that concern a catalog entry (e.g. ``"A2"``)."""
    return [e for e in ERRATA if catalog_id in e.entries]


def _specs_of(catalog_id: str):
    return [s for s in REGISTRY.values() if s.catalog_id == catalog_id]


def catalog_table(toc: set[str] | None = None) -> str:
    """The overview table: every registry entry with its Chinese name, family and chapter."""
    toc = toc_docnames() if toc is None else toc
    rows = ["| function | 中文 | catalog | family | chapter |", "|---|---|---|---|---|"]
    for spec in REGISTRY.values():
        rows.append(f"| {{ref}}`{spec.name} <catalog-{spec.name.replace('_', '-')}>` | {spec.chinese} | "
                    f"{spec.catalog_id} | {FAMILIES[spec.family].title} | {_chapter_link(spec.chapter, toc) or '—'} |")
    return "\n".join(rows) + "\n"


def catalog_family(family: str, toc: set[str] | None = None) -> str:
    """Every registry entry of ``family``: formula, gradient, reference, paper, chapter, errata."""
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {sorted(FAMILIES)}, got {family!r}")
    toc = toc_docnames() if toc is None else toc
    specs = [s for s in REGISTRY.values() if s.family == family]
    if not specs:
        return "*No function of this family is in the package yet.*\n"
    parts = []
    for spec in specs:
        label = "catalog-" + spec.name.replace("_", "-")
        head = f"### `{spec.name}`" + (f" · {spec.chinese}" if spec.chinese else "")
        facts = [f"**{spec.catalog_id}**", f"API: {_api(spec.value)}, {_api(spec.grad)}"]
        chapter = _chapter_link(spec.chapter, toc)
        if chapter:
            facts.append(f"derived in {chapter}")
        facts.append("in the seed articles" if spec.in_seeds else "not in the seed articles")
        lines = [f"({label})=", head, "", " · ".join(facts), ""]
        if spec.summary:
            lines += [rst_roles_to_myst(spec.summary), ""]
        lines += _math_block("Formula", spec.formula)
        wrt = ", ".join(spec.arg_names[i] for i in spec.wrt)
        lines += _math_block(f"Gradient (with respect to {wrt})", spec.gradient_formula)
        if spec.params:
            params = ", ".join(f"`{p.name}` = `{p.default!r}`" for p in spec.params)
            lines += [f"**Hyper-parameters** (defaults): {params}", ""]
        if spec.reference:
            refs = "; ".join(f"`{r.strip()}`" for r in spec.reference.split(";") if r.strip())
            lines += [f"**Reference implementation**: {refs}", ""]
        if spec.paper:
            lines += [f"**Paper**: {spec.paper}", ""]
        errata = errata_for(spec.catalog_id)
        if errata:
            links = ", ".join(f"{{ref}}`{e.id} <{e.id.lower()}>`" for e in errata)
            lines += [f"**Errata in the seeds**: {links}", ""]
        parts.append("\n".join(lines))
    return "\n".join(parts)


def _math_block(title: str, tex: str) -> list[str]:
    if not tex:
        return [f"**{title}**: *(no formula in the docstring)*", ""]
    lines = [f"**{title}**:", ""]
    # A blank line ends a display equation in MyST: one block per paragraph of the docstring math.
    for chunk in re.split(r"\n\s*\n", tex.strip()):
        lines += ["$$", chunk.strip(), "$$", ""]
    return lines


def errata_markdown(seed: str, toc: set[str] | None = None) -> str:
    """The errata of one seed file: claim (Chinese), correction, catalog entry, correcting chapter."""
    toc = toc_docnames() if toc is None else toc
    items = [e for e in ERRATA if e.seed == seed]
    parts = []
    for e in items:
        severity = " and ".join(SEVERITY[s] for s in e.severity)
        entries = []
        chapters = []
        for entry in e.entries:
            specs = _specs_of(entry)
            if specs:
                names = ", ".join(f"{{ref}}`{s.name} <catalog-{s.name.replace('_', '-')}>`" for s in specs)
                entries.append(f"{entry} ({names})")
                for s in specs:
                    link = _chapter_link(s.chapter, toc)
                    if link and link not in chapters:
                        chapters.append(link)
            else:
                entries.append(entry)
        if e.chapter:
            link = _chapter_link(e.chapter, toc)
            if link not in chapters:
                chapters.append(link)
        facts = ["Catalog entry " + (", ".join(entries) if entries else "— (general)"),
                 "corrected in " + (", ".join(chapters) if chapters else "a chapter in preparation")]
        lines = [f"({e.id.lower()})=", f"#### {e.id} · {severity}", "", " · ".join(facts), ""]
        for claim in e.claims:
            lines += [f"> 原文: “{claim}”", ">"]
        if e.claims:
            lines = lines[:-1] + [""]
        correction = e.correction
        if e.claims and correction.startswith(f'"{e.claims[0]}". '):
            correction = correction[len(e.claims[0]) + 4:]  # the claim is quoted above
        lines += [correction, ""]
        parts.append("\n".join(lines))
    tag, title = SEEDS[seed]
    header = f"{len(items)} errata in `{seed}` ({tag}, {title}).\n"
    return header + "\n" + "\n".join(parts)
