"""The book's website: generated pages, the Sphinx extension and the browser assets.

* :mod:`lossbook.site.pages`: the catalog, the errata appendix and the chapters' errata tables
  (MyST Markdown, generated from the registry and the errata records at each build).
* :mod:`lossbook.site.errata`: the errata records, the one source of each erratum.
* :mod:`lossbook.site.sphinx`: the Sphinx extension (``_config.yml`` lists ``lossbook.site.sphinx``),
  with the directives that derive the catalog's and the API page's family sections from
  :data:`lossbook.registry.FAMILY_MODULES`; its JavaScript is in ``lossbook/site/static/``.
* :mod:`lossbook.site.assets`: fetches MathJax, RequireJS and the ipywidgets manager from npm
  (``make assets``); a standard-library script, so it imports nothing from the package.
* :mod:`lossbook.site.execute`: executes the chapters in parallel into the build's
  jupyter-cache, once per change of their inputs, and prints the timing table.

Nothing here is imported by ``import lossbook``.
"""
