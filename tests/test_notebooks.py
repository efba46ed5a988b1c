"""The chapters as files: clean, listed in the table of contents, and never redefining a formula.

(Executing them is nbmake's job: ``make test`` passes ``--nbmake chapters``.)
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


def test_registry_chapters_exist():
    on_disk = {p.stem for p in (ROOT / "chapters").glob("*") if p.suffix in (".md", ".ipynb")}
    planned = {s.chapter for s in lossbook.REGISTRY.values()}
    missing = sorted(planned - on_disk)
    # A spec may name its chapter before the chapter lands; the catalog page links only
    # existing ones. Keep this list honest: it shrinks to empty as chapters are written.
    assert set(missing) <= {"mnist_features", "learning_slowdown", "overlap_losses"}, missing


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
