"""Sphinx glue for the book's website (listed in ``_config.yml``'s ``extra_extensions``).

* Jupyter Book always loads ``sphinx_thebe``, even with ``launch_buttons.thebe: false``. Under
  Sphinx 7.4 its set-up script is added twice per page (``const THEBE_JS_URL`` declared
  twice: an uncaught ``SyntaxError`` on every page), and it names a CDN. The book has no
  live-kernel launcher (it must work offline), so its page hooks are disconnected.
* The ipywidgets HTML manager (served from ``_static/ipywidgets``, see
  ``tools/fetch_assets.py``) finds its font files relative to where RequireJS thinks the
  module lives; ``_sphinx_static/require-paths.js`` (loaded between the two, see
  ``nb_ipywidgets_js`` in ``_config.yml``) points RequireJS at ``_static/ipywidgets``.
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


def _add_static(app) -> None:
    app.config.html_static_path.append(str(STATIC))


def setup(app):
    _drop_thebe(app)
    app.connect("builder-inited", _add_static)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
