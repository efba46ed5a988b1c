"""The chapters as files: clean, listed in the table of contents, never redefining a formula,
and executing without error.

Execution goes through :mod:`lossbook.site.execute` and its jupyter-cache, shared with
``make book``: ``make test`` executes the notebooks in parallel first, so each
``test_notebook_executes`` reads the outcome (executing the notebook only if its cached
execution is missing or stale) and fails with the notebook's traceback.
"""
from __future__ import annotations

import ast
import json
import pathlib
import re

import pytest
import yaml

import lossbook

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb"))


def toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for entry in entries:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections", []))
    for part in toc.get("parts", []):
        walk(part.get("chapters", []))
    walk(toc.get("chapters", []))
    return files


def _code_cells(path):
    nb = json.loads(path.read_text())
    return [c for c in nb["cells"] if c["cell_type"] == "code"], nb


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_committed_without_outputs(path):
    cells, nb = _code_cells(path)
    dirty = [i for i, c in enumerate(cells) if c.get("outputs") or c.get("execution_count")]
    assert not dirty, f"code cells {dirty} have outputs: clear them (the build executes the notebook)"
    assert nb["metadata"].get("kernelspec", {}).get("name") == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_never_redefines_a_registry_function(path):
    cells, _ = _code_cells(path)
    protected = set(lossbook.REGISTRY) | {n + "_grad" for n in lossbook.REGISTRY}
    for cell in cells:
        source = "".join(cell["source"])
        try:
            tree = ast.parse("\n".join(l for l in source.splitlines() if not l.lstrip().startswith(("%", "!"))))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.Lambda, ast.Assign)):
                names = [node.name] if isinstance(node, ast.FunctionDef) else [
                    t.id for t in getattr(node, "targets", []) if isinstance(t, ast.Name)]
                clash = protected.intersection(names)
                assert not clash, f"{path.name} redefines {clash}: import it from lossbook instead"


def test_every_chapter_is_in_the_toc_and_every_toc_entry_exists():
    listed = set(toc_files())
    on_disk = {str(p.relative_to(ROOT).with_suffix("")) for p in (ROOT / "chapters").glob("*")
               if p.suffix in (".md", ".ipynb")}
    assert not on_disk - listed, f"chapters missing from _toc.yml: {sorted(on_disk - listed)}"
    assert not listed - on_disk, f"_toc.yml entries without a file: {sorted(listed - on_disk)}"


#: Chapters a family already names but that are not written yet, each with the issue that
#: delivers it. The catalog page shows them as "(in preparation)". Keep this honest: an entry
#: leaves as soon as its chapter lands (the test below fails while it lingers).
PLANNED_CHAPTERS = {
}


def test_registry_chapters_exist():
    on_disk = {p.stem for p in (ROOT / "chapters").glob("*") if p.suffix in (".md", ".ipynb")}
    named = {s.chapter for s in lossbook.REGISTRY.values()}
    named |= {c for family in lossbook.FAMILIES.values() for c in family.chapters}
    missing = sorted(named - on_disk - set(PLANNED_CHAPTERS))
    assert not missing, f"chapters named by the registry without a file in chapters/: {missing}"
    written = sorted(set(PLANNED_CHAPTERS) & on_disk)
    assert not written, f"written chapters still listed in PLANNED_CHAPTERS: {written}"
    unnamed = sorted(set(PLANNED_CHAPTERS) - named)
    assert not unnamed, f"PLANNED_CHAPTERS lists chapters no family names: {unnamed}"
    if named - on_disk:
        print("planned chapters, not written yet:",
              "; ".join(f"{c} ({PLANNED_CHAPTERS[c]})" for c in sorted(named - on_disk)))


def test_plot_style_is_set_explicitly_not_on_import():
    import matplotlib as mpl

    before = dict(mpl.rcParams)
    import importlib

    import lossbook.plotting
    importlib.reload(lossbook.plotting)
    assert dict(mpl.rcParams) == before
    for path in NOTEBOOKS:
        cells, _ = _code_cells(path)
        text = "".join("".join(c["source"]) for c in cells)
        if re.search(r"plot_|plt\.|explore\(", text):
            assert "use_style()" in text, f"{path.name} plots without calling lossbook.plotting.use_style()"


def test_bibliography_parses_without_duplicate_keys():
    """A merge that drops a brace breaks the whole build; catch it here, with the line."""
    import collections

    import pybtex.database

    text = (ROOT / "references.bib").read_text()
    pybtex.database.parse_string(text, "bibtex")  # raises with the line of the syntax error
    keys = re.findall(r"^@\w+\{([^,]+),", text, flags=re.M)
    dupes = [k for k, n in collections.Counter(keys).items() if n > 1]
    assert not dupes, f"duplicate BibTeX keys: {dupes}"


@pytest.mark.notebooks
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_executes(path):
    from lossbook.site import execute

    (outcome,) = execute.run([path], jobs=1, echo=None)
    if outcome.status == "failed":
        pytest.fail(f"{path.name} failed:\n{outcome.traceback}", pytrace=False)
    assert outcome.status in ("cached", "executed")


# --- the executor itself, on throw-away notebooks ----------------------------------------------
def _notebook(path, *sources):
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))
    return path


@pytest.mark.notebooks
def test_the_executor_caches_reports_and_invalidates(tmp_path, monkeypatch):
    from lossbook.site import execute

    monkeypatch.delenv("LOSSBOOK_CACHE", raising=False)
    store = tmp_path / "jupyter_cache"
    good = _notebook(tmp_path / "good.ipynb", "import lossbook.plotting\nprint(6 * 7)")
    bad = _notebook(tmp_path / "bad.ipynb", "x = 1", "raise ValueError('broken on purpose')")

    first = execute.run([good, bad], jobs=2, cache_path=store, echo=None)
    assert [o.status for o in first] == ["executed", "failed"]
    assert "broken on purpose" in first[1].traceback
    # the build (myst-nb, execute_notebooks: cache) finds the executed notebook by its cells
    from jupyter_cache import get_cache
    import nbformat

    jc = get_cache(str(store))
    _, merged = jc.merge_match_into_notebook(nbformat.read(str(good), as_version=4))
    assert merged.cells[0].outputs[0]["text"] == "42\n"

    again = execute.run([good, bad], jobs=2, cache_path=store, echo=None)
    assert [o.status for o in again] == ["cached", "failed"]          # nothing executed again
    assert "broken on purpose" in again[1].traceback and "recorded" in again[1].traceback
    assert again[0].seconds == first[0].seconds
    assert "executed now: 0" in execute.table(again)

    # a change in what the notebook imports from lossbook makes its execution stale
    real = execute.notebook_key
    monkeypatch.setattr(execute, "notebook_key", lambda path, nb=None: real(path, nb) + "-changed")
    assert [o.status for o in execute.run([good], jobs=1, cache_path=store, echo=None)] == ["executed"]
    assert len(jc.list_cache_records()) == 1                           # the stale one is gone
    monkeypatch.setattr(execute, "notebook_key", real)

    # touching one notebook re-executes only that one
    _notebook(bad, "x = 1", "print('fixed')")
    last = execute.run([good, bad], jobs=2, cache_path=store, echo=None)
    statuses = [o.status for o in last]
    assert statuses == ["executed", "executed"], [o.traceback for o in last]  # good: key restored above
    last = execute.run([good, bad], jobs=2, cache_path=store, echo=None)
    statuses = [o.status for o in last]
    assert statuses == ["cached", "cached"]
    assert [o.status for o in execute.run([good], force=True, cache_path=store, echo=None)] == ["executed"]


def test_the_notebook_key_follows_the_lossbook_modules_a_notebook_imports(tmp_path, monkeypatch):
    from lossbook import cache
    from lossbook.site import execute

    path = _notebook(tmp_path / "n.ipynb", "%matplotlib inline\nfrom lossbook.plotting import use_style")
    files = cache.dependencies(source="from lossbook.plotting import use_style")
    assert "lossbook.plotting" in files and "lossbook.cache" not in files
    key = execute.notebook_key(path)
    assert execute.notebook_key(path) == key
    # a changed byte in one of those modules changes the key (docstrings count here: the
    # catalog and API pages print them); the fake file stands for lossbook/plotting.py
    fake = tmp_path / "plotting.py"
    fake.write_bytes(files["lossbook.plotting"].read_bytes() + b"\n# edited\n")
    monkeypatch.setattr(cache, "dependencies", lambda **kw: {**files, "lossbook.plotting": fake})
    assert execute.notebook_key(path) != key
    monkeypatch.setattr(cache, "dependencies", lambda **kw: files)
    assert execute.notebook_key(path) == key
    monkeypatch.setattr(cache, "environment", lambda: {"torch": "0.0"})
    assert execute.notebook_key(path) != key


# --- figures a reader can read (issue 16) ---------------------------------------------------
#: A code cell draws a static figure when it calls one of these (not on an import line).
_DRAWS = re.compile(r"\bplt\.\w+\(|\bplot_\w+\(|\bsubplots\(|\.figure\(")
_EXPLORER = re.compile(r"\bexplore\w*\(|FrameExplorer\(")
_FILE_NAME = re.compile(r"^\S+\.(png|jpe?g|svg|gif|pdf)$|^[\w.-]*/[\w./-]*$", re.I)
MAX_CODE_LINE = 90


def _draws_a_figure(source):
    lines = [l for l in source.splitlines()
             if not l.lstrip().startswith(("import ", "from ", "#"))]
    text = "\n".join(lines)
    return bool(_DRAWS.search(text)) and not _EXPLORER.search(text)


def test_file_name_alt_text_is_recognised():
    assert _FILE_NAME.search("_build/jupyter_execute/abc123.png")
    assert _FILE_NAME.search("figure.svg") and _FILE_NAME.search("images/fig1")
    assert not _FILE_NAME.search("Softsign's derivative follows the dotted 1/x² curve.")


def test_draws_a_figure_recognises_figure_cells():
    assert _draws_a_figure("fig, ax = plt.subplots()\nax.plot([1, 2])")
    assert _draws_a_figure("plot_family('softplus', 'beta', [1, 2])")
    assert not _draws_a_figure("import matplotlib.pyplot as plt\nfrom lossbook.plotting import plot_curves")
    assert not _draws_a_figure("explore('huber_loss', delta=[0.5, 1])")
    assert not _draws_a_figure("print(lossbook.check('relu'))")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_static_figure_has_a_caption_a_name_and_alt_text(path):
    cells, _ = _code_cells(path)
    bad = []
    for index, cell in enumerate(cells):
        if not _draws_a_figure("".join(cell["source"])):
            continue
        mystnb = cell.get("metadata", {}).get("mystnb", {})
        caption = str(mystnb.get("figure", {}).get("caption", "")).strip()
        name = str(mystnb.get("figure", {}).get("name", "")).strip()
        alt = str(mystnb.get("image", {}).get("alt", "")).strip()
        problems = [what for what, missing in (
            ("caption", not caption), ("figure name fig-...", not name.startswith("fig-")),
            ("alt text", not alt), ("alt text that is not a file name", bool(_FILE_NAME.search(alt))))
            if missing]
        if problems:
            first = "".join(cell["source"]).splitlines()[0][:60]
            bad.append(f"code cell {index} ({first!r}): no {', no '.join(problems)}")
    assert not bad, (f"{path.name}: set metadata.mystnb.figure.caption/name and "
                     "metadata.mystnb.image.alt on each figure cell:\n" + "\n".join(bad))


def test_figure_names_are_unique_across_the_book():
    seen = {}
    for path in NOTEBOOKS:
        cells, _ = _code_cells(path)
        for cell in cells:
            name = cell.get("metadata", {}).get("mystnb", {}).get("figure", {}).get("name")
            if name:
                assert name not in seen, f"figure name {name} in {path.name} and {seen[name]}"
                seen[name] = path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_code_line_is_wider_than_the_text_column(path):
    cells, _ = _code_cells(path)
    long = [(i, len(line)) for i, cell in enumerate(cells)
            for line in "".join(cell["source"]).splitlines() if len(line) > MAX_CODE_LINE]
    assert not long, (f"{path.name}: code lines longer than {MAX_CODE_LINE} characters "
                      f"(code cell, length): {long}")
