"""Sphinx glue for the book's website (listed in ``_config.yml``'s ``extra_extensions``).

* Jupyter Book always loads ``sphinx_thebe``, even with ``launch_buttons.thebe: false``. Under
  Sphinx 7.4 its set-up script is added twice per page (``const THEBE_JS_URL`` declared
  twice: an uncaught ``SyntaxError`` on every page), and it names a CDN. The book has no
  live-kernel launcher (it must work offline), so its page hooks are disconnected.
* The ipywidgets HTML manager (served from ``_static/ipywidgets``, see
  ``lossbook/_assets.py``) finds its font files relative to where RequireJS thinks the
  module lives; ``_sphinx_static/require-paths.js`` (loaded between the two, see
  ``nb_ipywidgets_js`` in ``_config.yml``) points RequireJS at ``_static/ipywidgets``.
* Without the fetched assets (``_build/assets``, ``make assets``) the build stops at once
  with that advice, instead of producing pages whose math never renders.
* Docstrings may cite a function by its public name, ``lossbook.relu`` (re-exported by the
  package); the API page documents it where it is defined (``lossbook.activations.relu``).
  Such references are resolved to the definition.
"""
from __future__ import annotations

from pathlib import Path

__all__ = ["setup"]

STATIC = Path(__file__).resolve().parent / "_sphinx_static"


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


def setup(app):
    _drop_thebe(app)
    app.connect("config-inited", _require_assets, priority=100)
    app.connect("builder-inited", _add_static)
    app.connect("missing-reference", _resolve_reexport)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
