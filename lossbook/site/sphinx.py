"""Sphinx glue for the book's website (listed in ``_config.yml``'s ``extra_extensions``).

* Two directives generate the sections that follow the registry's list of family modules
  (:data:`lossbook.registry.FAMILY_MODULES`), so a new family appears without editing a page:
  ``lossbook-catalog`` (in ``chapters/catalog.ipynb``) makes one section per family, with
  :func:`lossbook.site.pages.catalog_sections`; ``lossbook-api-families`` (in
  ``chapters/api.md``) makes one section per family module with its ``automodule``.
* Jupyter Book always loads ``sphinx_thebe``, even with ``launch_buttons.thebe: false``. Under
  Sphinx 7.4 its set-up script is added twice per page (``const THEBE_JS_URL`` declared
  twice: an uncaught ``SyntaxError`` on every page), and it names a CDN. The book has no
  live-kernel launcher (it must work offline), so its page hooks are disconnected.
* The ipywidgets HTML manager (served from ``_static/ipywidgets``, see
  ``lossbook/site/assets.py``) finds its font files relative to where RequireJS thinks the
  module lives; ``static/require-paths.js`` (loaded between the two, see
  ``nb_ipywidgets_js`` in ``_config.yml``) points RequireJS at ``_static/ipywidgets``.
* Without the fetched assets (``_build/assets``, ``make assets``) the build stops at once
  with that advice, instead of producing pages whose math never renders.
* Docstrings may cite a function by its public name, ``lossbook.relu`` (re-exported by the
  package); the API page documents it where it is defined (``lossbook.activations.relu``).
  Such references are resolved to the definition.
"""
from __future__ import annotations

from pathlib import Path

from sphinx.util.docutils import SphinxDirective

__all__ = ["setup", "CatalogDirective", "ApiFamiliesDirective"]

STATIC = Path(__file__).resolve().parent / "static"


def _drop_thebe(app) -> None:
    for event in ("env-before-read-docs", "doctree-resolved"):
        for listener in list(app.events.listeners.get(event, [])):
            if getattr(listener.handler, "__module__", "").startswith("sphinx_thebe"):
                app.disconnect(listener.id)


def _require_assets(app, config) -> None:
    """Fail early and say why when the fetched assets are missing (before Sphinx drops the path)."""
    for entry in config.html_static_path:
        if str(entry).startswith("_build/assets") and not Path(app.srcdir, entry).exists():
            from sphinx.errors import ExtensionError

            raise ExtensionError(
                f"{entry} does not exist: run `make assets` first (it fetches MathJax and the "
                "ipywidgets manager from npm, so that the website works offline)")


def _add_static(app) -> None:
    app.config.html_static_path.append(str(STATIC))


def _resolve_reexport(app, env, node, contnode):
    """``missing-reference``: ``lossbook.<name>`` -> ``<defining module>.<name>``."""
    target = node.get("reftarget", "")
    if node.get("refdomain") != "py" or not target.startswith("lossbook."):
        return None
    import lossbook

    name = target[len("lossbook."):]
    if "." in name:
        return None
    try:
        obj = getattr(lossbook, name)
    except AttributeError:
        return None
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if not (module and qualname) or f"{module}.{qualname}" == target:
        return None
    return env.get_domain("py").resolve_xref(env, node["refdoc"], app.builder, node["reftype"],
                                              f"{module}.{qualname}", node, contnode)


def _section(directive, title: str, body: str, rst: str | None = None):
    """A section titled ``title`` holding ``body`` parsed in the page's own markup.

    In a MyST page ``body`` is MyST (headings in it become rubrics, as in a cell's output);
    in a reST page the directive passes ``rst`` instead.
    """
    from docutils import nodes
    from docutils.statemachine import StringList

    section = nodes.section()
    section["names"].append(nodes.fully_normalize_name(title))
    section += nodes.title(title, title)
    directive.state.document.note_implicit_target(section, section)
    text = body if rst is None or _is_myst(directive) else rst
    # Parsed into a plain element, not into the section: MyST would make the body's headings
    # sections of the page (in the wrong place) instead of rubrics.
    holder = nodes.Element()
    directive.state.nested_parse(StringList(text.splitlines(), source=directive.get_source_info()[0]),
                                 directive.content_offset, holder)
    section.extend(holder.children)
    return section


def _is_myst(directive) -> bool:
    try:
        from myst_parser.mocking import MockState
    except ImportError:  # pragma: no cover - the book needs myst-parser
        return False
    return isinstance(directive.state, MockState)


class CatalogDirective(SphinxDirective):
    """``lossbook-catalog``: one section per family (:func:`lossbook.site.pages.catalog_sections`)."""

    has_content = False

    def run(self):
        from .pages import catalog_sections, toc_docnames

        if not _is_myst(self):
            raise self.error("lossbook-catalog generates MyST Markdown: use it in a MyST page or notebook")
        toc_file = Path(self.env.srcdir, "_toc.yml")
        toc = toc_docnames(toc_file) if toc_file.exists() else {str(d) for d in self.env.found_docs}
        return [_section(self, heading, body) for heading, body in catalog_sections(toc)]


class ApiFamiliesDirective(SphinxDirective):
    """``lossbook-api-families``: one section per family module, titled with its
    ``FAMILY.title``, documenting the module with ``automodule``."""

    has_content = False

    def run(self):
        from ..registry import FAMILY_MODULES

        out = []
        for module in FAMILY_MODULES:
            rst = f".. automodule:: {module.__name__}\n   :members:\n   :no-value:\n"
            myst = "```{eval-rst}\n" + rst + "```\n"
            out.append(_section(self, module.FAMILY.title, myst, rst=rst))
        return out


def setup(app):
    app.add_directive("lossbook-catalog", CatalogDirective)
    app.add_directive("lossbook-api-families", ApiFamiliesDirective)
    _drop_thebe(app)
    app.connect("config-inited", _require_assets, priority=100)
    app.connect("builder-inited", _add_static)
    app.connect("missing-reference", _resolve_reexport)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
