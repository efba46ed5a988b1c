"""Pages of the book generated at build time: the catalog, the errata, the chapters' errata tables.

Everything here returns MyST Markdown. ``chapters/catalog.ipynb`` displays
:func:`catalog_table`, and its family sections come from :func:`catalog_sections` through the
``lossbook-catalog`` directive (:mod:`lossbook.site.sphinx`), one section per module of
:data:`lossbook.registry.FAMILY_MODULES`; ``chapters/errata.ipynb`` displays
:func:`errata_markdown`; a chapter's "what the seeds get wrong" table is :func:`errata_table`.
The build executes the notebooks, so the pages follow the registry, the errata records
(:mod:`lossbook.site.errata`) and the book's table of contents at every build. A chapter is
linked only when ``_toc.yml`` lists it.
"""
from __future__ import annotations

import re
from pathlib import Path

from .. import registry
from ..registry import REGISTRY
from .errata import ERRATA, SEEDS, SEVERITY, erratum, errata_of_entry

__all__ = ["toc_docnames", "catalog_table", "catalog_family", "catalog_sections", "catalog_markdown",
           "family_heading", "errata_markdown", "errata_table", "corrected_in"]

_ROOT = Path(__file__).resolve().parents[2]


def rst_roles_to_myst(text: str) -> str:
    """A docstring line's reST roles as Markdown: ``:math:`x``` -> ``$x$``, ``:func:`~a.b``` -> ```b```.

    Examples
    --------
    >>> rst_roles_to_myst("range :math:`(0, 1)`, see :func:`~lossbook.mse_loss`")
    'range $(0, 1)$, see `mse_loss`'
    """
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


def _label(name: str) -> str:
    return "catalog-" + name.replace("_", "-")


def _specs_of(catalog_id: str):
    return [s for s in REGISTRY.values() if s.catalog_id == catalog_id]


# --- the catalog -----------------------------------------------------------------------------
def family_heading(family) -> str:
    """The catalog heading of a family (its ``Family``): part letter and title."""
    return f"{family.part} · {family.title}"


def catalog_table(toc: set[str] | None = None, modules=None) -> str:
    """The overview table: every entry of ``modules`` (default
    :data:`lossbook.registry.FAMILY_MODULES`) with its Chinese name, family and chapter."""
    toc = toc_docnames() if toc is None else toc
    modules = registry.FAMILY_MODULES if modules is None else modules
    rows = ["| function | 中文 | catalog | family | chapter |", "|---|---|---|---|---|"]
    for module in modules:
        for spec in module.SPECS:
            rows.append(f"| {{ref}}`{spec.name} <{_label(spec.name)}>` | {spec.chinese} | {spec.catalog_id} | "
                        f"{module.FAMILY.title} | {_chapter_link(spec.chapter, toc) or '—'} |")
    return "\n".join(rows) + "\n"


def _module_of(family: str, modules):
    modules = registry.FAMILY_MODULES if modules is None else modules
    for module in modules:
        if module.FAMILY.key == family:
            return module
    raise ValueError(f"family must be one of {sorted(m.FAMILY.key for m in modules)}, got {family!r}")


def catalog_family(family: str, toc: set[str] | None = None, modules=None) -> str:
    """The body of a family's catalog section: the chapters that teach it, then every entry
    with its formula, gradient, reference, paper, chapter and errata."""
    module = _module_of(family, modules)
    toc = toc_docnames() if toc is None else toc
    chapters = ", ".join(_chapter_link(c, toc) for c in module.FAMILY.chapters)
    parts = [f"Taught in {chapters}.\n"]
    if not module.SPECS:
        parts.append("*No function of this family is in the package yet.*\n")
    for spec in module.SPECS:
        head = f"### `{spec.name}`" + (f" · {spec.chinese}" if spec.chinese else "")
        facts = [f"**{spec.catalog_id}**", f"API: {_api(spec.value)}, {_api(spec.grad)}"]
        chapter = _chapter_link(spec.chapter, toc)
        if chapter:
            facts.append(f"derived in {chapter}")
        facts.append("in the seed articles" if spec.in_seeds else "not in the seed articles")
        lines = [f"({_label(spec.name)})=", head, "", " · ".join(facts), ""]
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
        errata = errata_of_entry(spec.catalog_id)
        if errata:
            links = ", ".join(f"{{ref}}`{e.id} <{e.id.lower()}>`" for e in errata)
            lines += [f"**Errata in the seeds**: {links}", ""]
        parts.append("\n".join(lines))
    return "\n".join(parts)


def catalog_sections(toc: set[str] | None = None, modules=None) -> list[tuple[str, str]]:
    """``(heading, body)`` of every family's catalog section, in the order of ``modules``
    (default :data:`lossbook.registry.FAMILY_MODULES`): a new family module gets its section."""
    toc = toc_docnames() if toc is None else toc
    modules = registry.FAMILY_MODULES if modules is None else modules
    return [(family_heading(m.FAMILY), catalog_family(m.FAMILY.key, toc, modules)) for m in modules]


def catalog_markdown(toc: set[str] | None = None, modules=None) -> str:
    """The family sections of :func:`catalog_sections` as one Markdown text (``##`` headings)."""
    return "\n".join(f"## {heading}\n\n{body}" for heading, body in catalog_sections(toc, modules))


def _math_block(title: str, tex: str) -> list[str]:
    if not tex:
        return [f"**{title}**: *(no formula in the docstring)*", ""]
    lines = [f"**{title}**:", ""]
    # A blank line ends a display equation in MyST: one block per paragraph of the docstring math.
    for chunk in re.split(r"\n\s*\n", tex.strip()):
        lines += ["$$", chunk.strip(), "$$", ""]
    return lines


# --- the errata ------------------------------------------------------------------------------
def corrected_in(e) -> list[str]:
    """The chapters (docnames in ``chapters/``) that correct erratum ``e``: those of its
    catalog entries' functions, then its own ``chapter``."""
    chapters = []
    for entry in e.entries:
        for spec in _specs_of(entry):
            if spec.chapter and spec.chapter not in chapters:
                chapters.append(spec.chapter)
    if e.chapter and e.chapter not in chapters:
        chapters.append(e.chapter)
    return chapters


def errata_markdown(seed: str, toc: set[str] | None = None) -> str:
    """The errata of one seed file: claim (Chinese), correction, catalog entry, correcting chapter."""
    toc = toc_docnames() if toc is None else toc
    items = [e for e in ERRATA if e.seed == seed]
    parts = []
    for e in items:
        severity = " and ".join(SEVERITY[s] for s in e.severity)
        entries = []
        for entry in e.entries:
            specs = _specs_of(entry)
            if specs:
                names = ", ".join(f"{{ref}}`{s.name} <{_label(s.name)}>`" for s in specs)
                entries.append(f"{entry} ({names})")
            else:
                entries.append(entry)
        chapters = [_chapter_link(c, toc) for c in corrected_in(e)]
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


def _cell(text: str) -> str:
    """Text for a Markdown table cell: one line, every ``|`` escaped (also inside code and math,
    where the table parser removes the backslash before the cell is parsed)."""
    return " ".join(text.split()).replace("|", "\\|")


def errata_table(*ids: str, notes: dict[str, str] | None = None, toc: set[str] | None = None):
    """A chapter's table of the seeds' errors: erratum, seed, claim, correction.

    Each row is the record's ``summary`` and ``gist``
    (:class:`~lossbook.site.errata.Erratum`); the erratum links to its entry in the errata
    appendix. ``notes`` adds a chapter's pointer to a correction (``{"ER28": "above"}`` ends
    it with "(above)."). Returns an ``IPython.display.Markdown``, like
    :func:`lossbook.plotting.table`.
    """
    from .. import plotting

    toc = toc_docnames() if toc is None else toc
    notes = dict(notes or {})
    unknown = set(notes) - set(ids)
    if unknown:
        raise ValueError(f"notes names errata that are not in the table: {', '.join(sorted(unknown))}")
    rows = []
    for key in ids:
        e = erratum(key)
        if not (e.summary and e.gist):
            raise ValueError(f"{key} has no summary and gist for a chapter's table: add them to its "
                             "record in lossbook/site/errata.py")
        gist = e.gist
        if key in notes:
            end = "." if gist.endswith(".") else ""
            gist = gist[:len(gist) - len(end)] + f" ({notes[key]})" + end
        link = f"{{ref}}`{e.id} <{e.id.lower()}>`" if "chapters/errata" in toc else e.id
        rows.append((link, e.seed[:3], _cell(e.summary), _cell(gist)))
    return plotting.table(["erratum", "seed", "claim", "correction"], rows)
