// Loaded between RequireJS and the ipywidgets HTML manager (see _config.yml, nb_ipywidgets_js):
// the manager's modules find their font files next to where RequireJS thinks they live, which
// must be _static/ipywidgets/ (lossbook/site/assets.py), not the page's directory.
(function () {
  var here = (document.documentElement.dataset.content_root || "./") + "_static/ipywidgets";
  requirejs.config({
    paths: {
      "@jupyter-widgets": here,
      "@jupyter-widgets/html-manager/dist": here,
    },
  });
})();
