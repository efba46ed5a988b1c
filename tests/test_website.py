"""The website's generated parts: explorers, catalog, errata, API page coverage, asset pins."""
from __future__ import annotations

import ast
import io
import json
import re
import sys
import types
from pathlib import Path

import matplotlib
import nbformat
import numpy as np
import pytest

matplotlib.use("Agg")

import lossbook  # noqa: E402
import lossbook.plotting  # noqa: E402  (test_table_cells_escape_pipes uses it; nothing else here imports it)
from lossbook import REGISTRY  # noqa: E402
from lossbook.registry import FAMILIES, FAMILY_MODULES, Family  # noqa: E402
from lossbook.site import pages  # noqa: E402
from lossbook.site.errata import ERRATA, SEEDS, erratum  # noqa: E402
from lossbook.site.pages import (catalog_family, catalog_markdown, catalog_sections, catalog_table,  # noqa: E402
                                 corrected_in, errata_markdown, errata_table, toc_docnames)
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


def test_mimebundle_is_the_live_widget_and_adds_the_frames_only_for_the_site(monkeypatch):
    """In a live kernel an explorer's output is the widget alone (no frame computed beyond its
    one image); executed for the website (LOSSBOOK_SITE_BUILD=1, which lossbook.site.execute
    sets) it also carries the kernel-free view, one frame per state."""
    from lossbook import widgets
    from lossbook.site import execute

    assert execute.SITE_BUILD == widgets.SITE_BUILD == "LOSSBOOK_SITE_BUILD"
    monkeypatch.delenv(widgets.SITE_BUILD, raising=False)
    drawn = []
    png = widgets.Explorer.png
    monkeypatch.setattr(widgets.Explorer, "png",
                        lambda self, state=None, dpi=80: drawn.append(dpi) or png(self, state, dpi))
    ex = explore("elu", alpha=[0.5, 1.0])
    bundle = ex._repr_mimebundle_()
    assert set(bundle) == {"text/plain", WIDGET_MIME}
    assert bundle[WIDGET_MIME]["model_id"] == ex.model_id and bundle["text/plain"] == repr(ex)
    assert drawn == [widgets.LIVE_DPI]  # the live image only
    for off in ("", "0"):
        monkeypatch.setenv(widgets.SITE_BUILD, off)
        assert "text/html" not in ex._repr_mimebundle_()
    monkeypatch.setenv(widgets.SITE_BUILD, "1")
    bundle = ex._repr_mimebundle_()
    assert {"text/plain", "text/html", WIDGET_MIME} <= set(bundle)
    assert 'class="lossbook-explorer"' in bundle["text/html"]
    assert 'data-frames="2"' in bundle["text/html"]
    assert drawn == [widgets.LIVE_DPI, widgets.FRAME_DPI, widgets.FRAME_DPI]


def test_explorers_are_widgets_that_compose():
    """An explorer is an ipywidgets widget: it goes into a VBox/HBox (issue 18: this raised a
    TraitError) and shows its first image from the start."""
    import ipywidgets as widgets

    from lossbook.widgets import FrameExplorer

    ex = explore("swish")
    box = widgets.VBox([ex])
    assert box.children == (ex,)
    assert isinstance(ex, widgets.DOMWidget) and ex.widget() is ex
    assert ex.children[-1] is ex.image and bytes(ex.image.value).startswith(b"\x89PNG")
    assert list(ex.controls) == ["beta"] and ex.state == {"beta": ex._start["beta"]}
    frame = FrameExplorer(lambda fig, a: fig.subplots().plot([0, 1], [0, a]), {"a": [1.0, 2.0]})
    row = widgets.HBox([frame, widgets.Label("a line")])
    assert row.children[0] is frame and bytes(frame.image.value).startswith(b"\x89PNG")
    bundle = row._repr_mimebundle_()
    assert bundle[WIDGET_MIME]["model_id"] == row.model_id


def test_live_widget_redraws_on_slider_change():
    ex = explore("elu", alpha=[0.5, 1.0])
    box = ex.widget()
    slider, image = box.children
    before = image.value
    slider.value = 0.5
    assert image.value != before


def _live_explorers():
    """Explorers whose live sliders cover continuous ranges: log and linear parameters, the
    point slider of an entry without parameters, and a FrameExplorer with live ranges."""
    from lossbook.widgets import FrameExplorer

    frame = FrameExplorer(lambda fig, a, eta: fig.subplots().plot([0, 1], [0, a * eta], label=f"η = {eta}"),
                          {"a": [1.0, 2.0], "eta": [0.005, 0.15, 1.0]}, start={"eta": 0.15},
                          live={"a": (-4.0, 4.0), "eta": (0.001, 3.0, "log")}, name="a line")
    return {"swish": explore("swish"), "huber_loss": explore("huber_loss"),
            "relu": explore("relu"), "softplus": explore("softplus"), "frame": frame}


_SIGNIFICANT = re.compile(r"\d+(?:\.\d+)?(?:e-?\d+)?")


def _significant_digits(number: str) -> int:
    mantissa = number.split("e")[0].replace(".", "").lstrip("0")
    return len(mantissa.rstrip("0")) if "." not in number.split("e")[0] else len(mantissa)


def test_live_sliders_stay_where_the_user_sets_them():
    """Every live slider moves over a list of values (an index slider: nothing for the browser
    to snap, unlike a FloatLogSlider whose step grid turns 0.15 into 0.151356 and sends that
    back for a second redraw), opens at the explorer's start value exactly, reports on
    release, and shows each value as the number it draws (the label reads back as the value)."""
    import ipywidgets as widgets

    for key, ex in _live_explorers().items():
        controls = ex.widget().children[:-1]
        assert len(controls) == len(ex.sliders), key
        for (name, _), control in zip(ex.sliders, controls):
            assert not isinstance(control, (widgets.FloatSlider, widgets.FloatLogSlider)), (key, name)
            if isinstance(control, widgets.ToggleButtons):
                continue
            assert control.value == ex._start[name], (key, name)
            assert control.continuous_update is False, (key, name)
            if isinstance(control, widgets.SelectionSlider):
                labels, values = zip(*control.options)
                assert len(values) >= 5 or name not in getattr(ex, "live", {}), (key, name)
                for label, value in zip(labels, values):
                    assert float(label) == pytest.approx(value, rel=5e-3), (key, name, label, value)
                    assert _significant_digits(label) <= 3 or abs(value) >= 1000, (key, name, label)


def test_one_redraw_per_slider_move(monkeypatch):
    from lossbook.widgets import Explorer

    drawn = []
    png = Explorer.png
    monkeypatch.setattr(Explorer, "png",
                        lambda self, state=None, dpi=80: drawn.append(dict(state)) or png(self, state, dpi))
    ex = explore("swish")
    (slider, image) = ex.children
    assert drawn == [ex._start]  # the start, drawn when the explorer is made
    first = image.value
    labels, values = zip(*slider.options)
    target = values[values.index(slider.value) + 3]
    slider.value = target
    assert drawn[-1] == {"beta": target} and len(drawn) == 2 and image.value != first
    slider.value = target  # the same value again: nothing to redraw
    assert len(drawn) == 2


def test_live_values_are_round_numbers_with_the_ends_and_the_start():
    from lossbook.widgets import _live_values

    linear = _live_values(-4.0, 4.0, 1.0)
    assert linear[0] == -4.0 and linear[-1] == 4.0 and 1.0 in linear and 0.0 in linear
    steps = np.diff(linear)
    assert np.allclose(steps, 0.1)  # 80 steps of 0.1, not 200 steps of 0.04 with noise
    log = _live_values(0.001, 3.0, 0.15, log=True)
    assert log[0] == 0.001 and log[-1] == 3.0 and 0.15 in log
    assert {0.01, 0.1, 1.0, 0.2, 0.5, 2.5} <= set(log)
    assert np.all(np.diff(log) > 0) and np.max(log[1:] / np.array(log[:-1])) <= 1.25
    assert all(_significant_digits(repr(v)) <= 2 for v in log)
    wide = _live_values(1e-6, 1.0, 1e-5, log=True)  # six decades: coarser mantissas
    assert 40 <= len(wide) <= 80 and np.max(wide[1:] / np.array(wide[:-1])) <= 4 / 3 + 1e-12
    assert _live_values(0.3, 0.7, 0.55)[:3] == [0.3, 0.305, 0.31]  # step 0.005 (1, 2, 2.5, 5 x 10^k)
    with pytest.raises(ValueError, match="range"):
        _live_values(0.0, 1.0, log=True)


def test_labels_print_parameters_as_a_person_would():
    from lossbook.widgets import _label

    assert [_label(v) for v in (5.011872336272722, 0.15, 0.151356, 2.0, 3, 1e-05, 2.5e7, 1234.5, -0.25)] == \
        ["5.01", "0.15", "0.151", "2", "3", "1e-5", "2.5e7", "1234", "-0.25"]
    # legends of the live figures: no parameter printed with more than three digits
    for key, ex in _live_explorers().items():
        if key == "frame":
            continue
        box = ex.widget()
        for (name, _), control in zip(ex.sliders, box.children[:-1]):
            options = getattr(control, "options", ())
            for _, value in list(options)[1::7]:
                state = {**ex._start, name: value}
                fig = ex.figure(state)
                texts = [t.get_text() for ax in fig.axes for legend in [ax.get_legend()] if legend
                         for t in legend.get_texts()]
                for text in texts:
                    for number in _SIGNIFICANT.findall(text.split(",", 1)[-1]):
                        assert _significant_digits(number) <= 3, (key, name, text)


# --- catalog and errata -----------------------------------------------------------------
def _fake_family_module(name="throwaway_losses"):
    """A throw-away family module: its own Family and one (borrowed) spec."""
    module = types.ModuleType(f"lossbook_test_{name}")
    module.__doc__ = "A throw-away family, for the tests."
    module.FAMILY = Family(key="throwaway", title="Throw-away losses", part="Z", chapters=("throwaway",))
    module.SPECS = (REGISTRY["relu"],)
    module.__all__ = []
    return module


def test_catalog_covers_every_registry_entry():
    toc = toc_docnames()
    table = catalog_table(toc)
    text = catalog_markdown(toc)
    for name, spec in REGISTRY.items():
        assert f"<catalog-{name.replace('_', '-')}>" in table
        assert f"({'catalog-' + name.replace('_', '-')})=" in text
        assert spec.formula, f"{name}: the value docstring needs a '.. math::' block (the catalog's formula)"
        assert spec.gradient_formula, f"{name}: the _grad docstring needs a '.. math::' block"
        assert spec.formula in text


def test_catalog_sections_follow_the_family_modules():
    toc = {"chapters/activations_saturating"}
    sections = catalog_sections(toc)
    assert [heading for heading, _ in sections] == [f"{m.FAMILY.part} · {m.FAMILY.title}" for m in FAMILY_MODULES]
    body = dict(sections)["A · Activation functions"]
    assert body.startswith("Taught in {doc}`activations_saturating`, `activations_rectifiers` (in preparation)")
    # a new family module is all it takes: its section, its chapters and its entries appear
    fake = _fake_family_module()
    modules = FAMILY_MODULES + (fake,)
    heading, body = catalog_sections(toc, modules)[-1]
    assert heading == "Z · Throw-away losses"
    assert body.startswith("Taught in `throwaway` (in preparation).") and "(catalog-relu)=" in body
    assert "## Z · Throw-away losses" in catalog_markdown(toc, modules)
    assert "| Throw-away losses |" in catalog_table(toc, modules)
    fake.SPECS = ()
    assert "*No function of this family is in the package yet.*" in catalog_family("throwaway", toc, modules)
    with pytest.raises(ValueError, match="family must be one of"):
        catalog_family("throwaway", toc)


def test_catalog_links_only_chapters_in_the_toc():
    text = catalog_family("activation", toc=set())
    assert "{doc}" not in text and "(in preparation)" in text
    text = catalog_family("activation", toc={"chapters/activations_rectifiers"})
    assert "{doc}`activations_rectifiers`" in text


def _sources(name):
    return "\n".join(c.source for c in nbformat.read(CHAPTERS / f"{name}.ipynb", as_version=4).cells)


def test_chapter_notebooks_cover_families_and_seeds_and_are_clean():
    catalog = _sources("catalog")
    assert "```{lossbook-catalog}" in catalog  # the family sections come from the registry's list
    for family in FAMILIES.values():
        assert family.title not in catalog, f"{family.title!r} typed in catalog.ipynb: it is generated"
    errata = _sources("errata")
    for seed in SEEDS:
        assert f"errata_markdown({seed!r}, toc)" in errata
    for name in ("catalog", "errata"):
        nb = nbformat.read(CHAPTERS / f"{name}.ipynb", as_version=4)
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
        assert bool(e.summary) == bool(e.gist), f"{e.id}: a chapter's table needs both summary and gist"
    text = errata_markdown("001_f7c8dc85b772d469.txt", toc=set())
    assert "(er14)=" in text and "原文" in text
    with pytest.raises(KeyError, match="no erratum 'ER11'"):
        erratum("ER11")


def _parse_table(markdown):
    """The cells of the one table in ``markdown``, parsed as the book parses it (MyST)."""
    from markdown_it.renderer import RendererHTML
    from myst_parser.config.main import MdParserConfig
    from myst_parser.parsers.mdit import create_md_parser

    md = create_md_parser(MdParserConfig(enable_extensions={"dollarmath", "amsmath"}), RendererHTML)
    tokens = md.parse(markdown)
    assert [t.type for t in tokens].count("table_open") == 1, markdown
    rows, row = [], None
    for token in tokens:
        if token.type == "tr_open":
            row = []
        elif token.type == "inline" and row is not None:
            row.append(token)
        elif token.type == "tr_close":
            rows.append(row)
            row = None
    assert not [t for t in tokens if t.type not in {"table_open", "table_close", "thead_open", "thead_close",
                                                    "tbody_open", "tbody_close", "tr_open", "tr_close",
                                                    "th_open", "th_close", "td_open", "td_close", "inline"}]
    return rows


def test_table_cells_escape_pipes():
    cell = pages._cell("abs $|x|$, code `a|b`, text a|b, norm $\\|v\\|$")
    rows = _parse_table(lossbook.plotting.table(["one", "two"], [(cell, "x")]).data)
    assert [len(r) for r in rows] == [2, 2]
    children = rows[1][0].children
    assert [c.content for c in children if c.type == "math_inline"] == ["|x|", "\\|v\\|"]
    assert [c.content for c in children if c.type == "code_inline"] == ["a|b"]
    assert "text a|b" in "".join(c.content for c in children if c.type == "text")


def _errata_tables():
    """(chapter, ids, notes) of every errata_table(...) call in the chapters."""
    found = []
    for path in sorted(CHAPTERS.glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "code" or "errata_table(" not in cell.source:
                continue
            for node in ast.walk(ast.parse(cell.source)):
                if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "errata_table":
                    ids = [ast.literal_eval(a) for a in node.args]
                    kwargs = {k.arg: ast.literal_eval(k.value) for k in node.keywords}
                    found.append((path.stem, ids, kwargs))
                    assert "remove-input" in cell.metadata.get("tags", []), path.stem  # the reader sees the table
    return found


def test_chapters_errata_tables_come_from_the_records():
    tables = _errata_tables()
    assert {chapter for chapter, _, _ in tables} == {"activations_saturating", "activations_rectifiers",
                                                     "information_theory", "margin_losses", "regression",
                                                     "overlap_losses"}
    toc = toc_docnames()
    for chapter, ids, kwargs in tables:
        rows = _parse_table(errata_table(*ids, toc=toc, **kwargs).data)
        assert len(rows) == 1 + len(ids) and all(len(r) == 4 for r in rows), chapter
        for key, row in zip(ids, rows[1:]):
            e = erratum(key)
            assert chapter in corrected_in(e), f"{key} is tabulated in {chapter}, which does not correct it"
            assert row[0].content == f"{{ref}}`{key} <{key.lower()}>`" and row[1].content == e.seed[:3]
            assert row[2].content == " ".join(e.summary.split())
    # no chapter types such a table again
    for path in sorted(CHAPTERS.glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "markdown":
                assert not re.search(r"^\| *ER\d+", cell.source, re.M), f"{path.name}: use errata_table(...)"


def test_errata_table_names_what_is_missing():
    assert "ER11" not in {e.id for e in ERRATA}
    with pytest.raises(KeyError, match="ER11"):
        errata_table("ER11", toc=set())
    with pytest.raises(ValueError, match="ER2 has no summary"):
        errata_table("ER2", toc=set())
    with pytest.raises(ValueError, match="ER5"):
        errata_table("ER4", notes={"ER5": "above"}, toc=set())
    text = errata_table("ER4", "ER6", notes={"ER6": "above"}, toc=set()).data
    assert "| ER4 | 000 |" in text and "oscillates (above). |" in text  # no link without the errata page


# --- the API page and the site's configuration ---------------------------------------------
def test_api_page_documents_every_public_module():
    api = (CHAPTERS / "api.md").read_text(encoding="utf-8")
    # the family modules: one section each, generated from FAMILY_MODULES by the directive
    assert "```{lossbook-api-families}" in api
    for module in FAMILY_MODULES:
        assert module.__name__ not in re.findall(r"\.\. automodule:: ([\w.]+)", api), \
            f"{module.__name__} is documented by lossbook-api-families; do not list it in chapters/api.md"
        assert module.FAMILY.title not in api
    documented = set(re.findall(r"\.\. automodule:: ([\w.]+)", api)) | {m.__name__ for m in FAMILY_MODULES}
    package = Path(lossbook.__file__).parent
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package).with_suffix("").parts
        if any(part.startswith("_") for part in parts):  # private modules and the packages' __init__
            continue
        name = ".".join(("lossbook",) + parts)
        assert name in documented, f"add {name} to chapters/api.md"
    top = {p.stem for p in package.glob("*.py")}
    assert not top & {"_book", "_errata", "_sphinx", "_assets", "pages", "errata", "sphinx", "assets"}, \
        "site modules live in lossbook/site/"


def _sphinx_build(tmp_path, pages_text):
    from sphinx.application import Sphinx
    from sphinx.util.docutils import docutils_namespace

    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(
        "extensions = ['myst_parser', 'sphinx.ext.autodoc', 'sphinx.ext.napoleon', 'lossbook.site.sphinx']\n"
        "myst_enable_extensions = ['dollarmath', 'amsmath']\nautodoc_typehints = 'none'\n"
        "nitpick_ignore_regex = [('py:.*', '(torch|numpy|np|scipy|sklearn|matplotlib|ipywidgets)(\\\\..*)?')]\n",
        encoding="utf-8")
    for name, text in pages_text.items():
        (src / name).write_text(text, encoding="utf-8")
    warnings = io.StringIO()
    with docutils_namespace():  # node and directive registrations are undone after the build
        app = Sphinx(str(src), str(src), str(tmp_path / "out"), str(tmp_path / "doctrees"), "pseudoxml",
                     status=None, warning=warnings, freshenv=True)
        app.build()
    out = {name: (tmp_path / "out" / Path(name).with_suffix(".pseudoxml")).read_text(encoding="utf-8")
           for name in pages_text}
    return out, warnings.getvalue()


def test_api_directive_enrols_a_new_family_module(tmp_path, monkeypatch):
    import lossbook.registry

    fake = _fake_family_module()

    def dice_loss(input, target):
        """A throw-away loss, documented on the API page by its family's section."""

    dice_loss.__module__ = fake.__name__
    fake.dice_loss = dice_loss
    fake.__all__ = ["dice_loss"]
    monkeypatch.setitem(sys.modules, fake.__name__, fake)
    monkeypatch.setattr(lossbook.registry, "FAMILY_MODULES", (lossbook.losses.embedding, fake))
    myst = "# API\n\n```{lossbook-api-families}\n```\n\n## After\n"
    rest = "API in reST\n===========\n\n.. lossbook-api-families::\n\nAfter\n-----\n"
    for page, title, text in (("index.md", "API", myst), ("index.rst", "API in reST", rest)):
        (tmp_path / title).mkdir()
        out, warnings = _sphinx_build(tmp_path / title, {page: text})
        assert not warnings.strip(), warnings
        titles = re.findall(r"<title>\s*(.*?)\s*(?=<|$)", out[page], re.S)
        assert [t.strip() for t in titles] == [title, "Metric-learning and embedding losses", "Throw-away losses",
                                               "After"], page
        assert "dice_loss" in out[page] and "documented on the API page" in out[page]
        assert out[page].count("<section") == 4  # the family sections sit beside "After", under the title


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
