"""The website's generated parts: explorers, catalog, errata, API page coverage, asset pins."""
from __future__ import annotations

import json
import re
from pathlib import Path

import matplotlib
import nbformat
import pytest

matplotlib.use("Agg")

import lossbook  # noqa: E402
from lossbook import REGISTRY  # noqa: E402
from lossbook._book import catalog_family, catalog_table, errata_markdown, toc_docnames  # noqa: E402
from lossbook._errata import ERRATA, SEEDS  # noqa: E402
from lossbook.registry import FAMILIES  # noqa: E402
from lossbook.registry import FAMILY_MODULES  # noqa: E402
from lossbook.widgets import MAX_FRAMES, explore  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


# --- explorers ------------------------------------------------------------------------
def test_explore_sliders_follow_spec_params():
    ex = explore("softplus")
    assert [name for name, _ in ex.sliders] == ["beta", "threshold"]
    for name, values in ex.sliders:
        assert REGISTRY["softplus"].defaults[name] in values  # the default is a frame
    assert ex.fixed == {}


def test_explore_fixed_and_listed_values():
    ex = explore("softplus", threshold=10.0, beta=[0.5, 2.0])
    assert ex.sliders == [("beta", [0.5, 2.0])]
    assert ex.params({"beta": 2.0}) == {"beta": 2.0, "threshold": 10.0}


def test_explore_without_params_moves_a_point():
    ex = explore("relu")
    [(name, values)] = ex.sliders
    assert name == "x" and len(values) > 3
    assert 0.0 not in values  # kinks avoided: the tangent is a convention there


def test_explore_rejects_bad_calls():
    with pytest.raises(TypeError, match="delta"):
        explore("softplus", delta=1.0)
    with pytest.raises(ValueError, match="curve"):
        explore("softmax")
    with pytest.raises(ValueError, match="MAX_FRAMES"):
        explore("softplus", beta=list(range(1, MAX_FRAMES)), threshold=[5.0, 10.0])
    with pytest.raises(KeyError, match="did you mean"):
        explore("sigmod")


def test_static_view_has_one_frame_per_state_and_working_markup():
    ex = explore("leaky_relu", negative_slope=[0.0, 0.1, 0.3])
    page = ex.html()
    data = json.loads(re.search(r'<script type="application/json">(.*?)</script>', page).group(1))
    assert len(data["frames"]) == 3 and data["strides"] == [1]
    assert all(f.startswith("data:image/png;base64,") for f in data["frames"])
    assert len(set(data["frames"])) == 3  # every state draws a different picture
    assert page.count('type="range"') == 1 and 'max="2"' in page
    assert "http" not in page  # nothing from another host


def test_png_is_a_png_and_ylim_is_fixed():
    ex = explore("swish", beta=[0.5, 5.0])
    assert ex.png().startswith(b"\x89PNG")
    (v0, v1), (g0, g1) = ex.ylim()
    assert v0 < v1 and g0 < g1


def test_mimebundle_offers_live_widget_and_static_html():
    ex = explore("elu", alpha=[0.5, 1.0])
    bundle = ex._repr_mimebundle_()
    assert {"text/plain", "text/html", WIDGET_MIME} <= set(bundle)
    assert bundle[WIDGET_MIME]["model_id"]
    assert "lossbook-explorer" in bundle["text/html"]


def test_live_widget_redraws_on_slider_change():
    ex = explore("elu", alpha=[0.5, 1.0])
    box = ex.widget()
    slider, image = box.children
    before = image.value
    slider.value = 0.5
    assert image.value != before


# --- catalog and errata -----------------------------------------------------------------
def test_catalog_covers_every_registry_entry():
    toc = toc_docnames()
    table = catalog_table(toc)
    text = "".join(catalog_family(family, toc) for family in FAMILIES)
    for name, spec in REGISTRY.items():
        assert f"<catalog-{name.replace('_', '-')}>" in table
        assert f"({'catalog-' + name.replace('_', '-')})=" in text
        assert spec.formula, f"{name}: the value docstring needs a '.. math::' block (the catalog's formula)"
        assert spec.gradient_formula, f"{name}: the _grad docstring needs a '.. math::' block"
        assert spec.formula in text


def test_catalog_links_only_chapters_in_the_toc():
    text = catalog_family("activation", toc=set())
    assert "{doc}" not in text and "(in preparation)" in text
    text = catalog_family("activation", toc={"chapters/activations_rectifiers"})
    assert "{doc}`activations_rectifiers`" in text


def test_chapter_notebooks_cover_families_and_seeds_and_are_clean():
    catalog = nbformat.read(CHAPTERS / "catalog.ipynb", as_version=4)
    errata = nbformat.read(CHAPTERS / "errata.ipynb", as_version=4)
    sources = "\n".join(c.source for c in catalog.cells)
    for family in FAMILIES:
        assert f"catalog_family({family!r}, toc)" in sources
    sources = "\n".join(c.source for c in errata.cells)
    for seed in SEEDS:
        assert f"errata_markdown({seed!r}, toc)" in sources
    for nb in (catalog, errata):
        assert nb.metadata.kernelspec.name == "python3"
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None


def test_errata_are_well_formed():
    ids = [e.id for e in ERRATA]
    assert len(ids) == len(set(ids)) == 57
    for e in ERRATA:
        assert e.seed in SEEDS and e.severity and set(e.severity) <= set("WMC")
        assert all(re.fullmatch(r"[A-K]\d+", entry) for entry in e.entries), e
        assert e.correction
    text = errata_markdown("001_f7c8dc85b772d469.txt", toc=set())
    assert "(er14)=" in text and "原文" in text


# --- the API page and the site's configuration ---------------------------------------------
def test_api_page_documents_every_public_module():
    api = (CHAPTERS / "api.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"\.\. automodule:: ([\w.]+)", api))
    for module in FAMILY_MODULES:
        assert module.__name__ in documented, f"add {module.__name__} to chapters/api.md"
    package = Path(lossbook.__file__).parent
    for path in sorted(package.glob("*.py")) + sorted(package.glob("losses/*.py")):
        if path.name.startswith("_"):
            continue
        name = "lossbook." + ".".join(path.relative_to(package).with_suffix("").parts)
        assert name in documented, f"add {name} to chapters/api.md"


def test_book_pages_are_in_the_toc():
    toc = toc_docnames()
    for page in ("chapters/catalog", "chapters/api", "chapters/errata", "chapters/bibliography"):
        assert page in toc


def test_config_keeps_the_site_offline():
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    sphinx = config["sphinx"]["config"]
    # Outputs come from the jupyter-cache that lossbook.site.execute fills (myst-nb's default
    # place, _build/.jupyter_cache): the build must not look elsewhere.
    assert config["execute"]["execute_notebooks"] == "cache"
    assert "cache" not in config["execute"]
    from lossbook.site import execute
    assert execute.CACHE_PATH == ROOT / "_build" / ".jupyter_cache"
    assert sphinx["nb_execution_raise_on_error"] is True
    assert not sphinx["mathjax_path"].startswith(("http:", "https:", "//"))
    assert all(not path.startswith(("http:", "https:", "//")) for path in sphinx["nb_ipywidgets_js"])
    assert not (ROOT / "_static").exists()  # third-party assets are fetched at build time
