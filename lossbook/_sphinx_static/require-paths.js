// Loaded between RequireJS and the ipywidgets HTML manager (see _config.yml, nb_ipywidgets_js):
// the manager finds its font files next to where RequireJS thinks its module lives, which is
// _static/ipywidgets/ (tools/fetch_assets.py), not the page's directory.
requirejs.config({
  paths: {
    "@jupyter-widgets/html-manager/dist":
      (document.documentElement.dataset.content_root || "./") + "_static/ipywidgets",
  },
});
