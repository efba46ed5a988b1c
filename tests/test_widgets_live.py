"""The explorers as a student meets them: in a live kernel, every control moves the picture.

One IPython kernel (``jupyter_client``, as Jupyter Lab starts it, without
``LOSSBOOK_SITE_BUILD``) executes, for each chapter of :data:`CHAPTERS`, the chapter's own
set-up cell (its first code cell: imports, style, helpers) and import cells, then its
explorer cells, unchanged. For each explorer displayed, the test
reads the widget's model id from the output the kernel sent (what Lab would draw), then sets
each of its controls in turn to another value and asserts that the kernel sent the frontend
a new image (a ``comm_msg`` update of the ``Image`` model with different PNG bytes), and
that the output had no static frames (``text/html``: those are the website's).

Every chapter with an explorer but three (:data:`EXCLUDED`): an explorer cell that needs a
result of an earlier, expensive cell (``explore_gan_training(gan)``,
``explore_features(runs)``...) is out of reach of a ~60 s test. The others' explorer cells
need only their chapter's set-up cell.
"""
from __future__ import annotations

import ast
import json
import os
import pathlib
import re
import time

import pytest

jupyter_client = pytest.importorskip("jupyter_client")
pytest.importorskip("ipywidgets")

ROOT = pathlib.Path(__file__).resolve().parents[1]
_EXPLORER = re.compile(r"\bexplore\w*\(|FrameExplorer\(|_explorer\(")
#: Chapters with explorers that the test leaves out: their explorer cell needs the result of
#: an earlier, expensive cell (a GAN's training, MNIST training runs, a CTC training).
EXCLUDED = {"generative_losses": "explore_gan_training(gan) needs the GAN runs",
            "mnist_features": "explore_features(runs) needs the MNIST training runs",
            "sequence_alignment": "its FrameExplorer draws a CTC training's result"}
#: Chapters whose explorer cells the test runs: every other chapter with an explorer.
CHAPTERS = tuple(p.stem for p in sorted((ROOT / "chapters").glob("*.ipynb"))
                 if p.stem not in EXCLUDED and _EXPLORER.search(p.read_text(encoding="utf-8")))
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
TIMEOUT = 300

# Run in the kernel after an explorer was displayed: set each control of the explorer whose
# model id is given to another value (a third of the way along its options), one at a time.
_MOVE = r"""
def _lossbook_move(model_id):
    import ipywidgets
    from ipywidgets.widgets.widget import _instances
    box = _instances[model_id]
    moves = []
    for control in box.children[:-1]:
        options = getattr(control, "options", None)
        if options:
            values = [v[1] if isinstance(v, tuple) else v for v in options]
            others = [v for v in values if v != control.value]
            new = others[len(others) // 3]
        else:
            new = control.value + 1 if control.value < control.max else control.value - 1
        moves.append((control.description, repr(new)))
        control.value = new
    return {"image": box.children[-1].model_id, "moves": moves}
"""


def _imports_only(source: str) -> bool:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    return bool(tree.body) and all(isinstance(n, (ast.Import, ast.ImportFrom)) or
                                   (isinstance(n, ast.Expr) and isinstance(n.value, ast.Call))
                                   and "use_style" in ast.unparse(n) for n in tree.body)


def chapter_cells(name: str):
    """(set-up cells, explorer cells) of a chapter, as its notebook has them."""
    nb = json.loads((ROOT / "chapters" / f"{name}.ipynb").read_text(encoding="utf-8"))
    sources = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    explorers, names = [], set()
    for source in sources:
        if _EXPLORER.search(source):
            explorers.append(source)
            names |= {t.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Assign)
                      for t in n.targets if isinstance(t, ast.Name)}
        elif source.strip() in names:   # `explorer` displayed by a later cell (box_losses)
            explorers.append(source)
    # the set-up cell (imports, style, helpers), then any cell of imports only
    imports = [s for i, s in enumerate(sources)
               if s not in explorers and (i == 0 or _imports_only(s))]
    return imports, explorers


class Kernel:
    """A live IPython kernel and the messages it sends (the frontend's side of the comms)."""

    def __init__(self):
        env = {k: v for k, v in os.environ.items() if k != "LOSSBOOK_SITE_BUILD"}
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        self.manager, self.client = jupyter_client.manager.start_new_kernel(
            kernel_name="python3", env=env, cwd=str(ROOT / "chapters"))
        self.images = {}   # comm id -> PNG bytes of each update the frontend received

    def run(self, code: str) -> dict:
        """Execute ``code``; its outputs, error, text, and the seconds until the kernel was idle."""
        start = time.perf_counter()
        msg_id = self.client.execute(code)
        result = {"outputs": [], "error": None, "text": ""}
        while True:
            msg = self.client.get_iopub_msg(timeout=TIMEOUT)
            kind, content = msg["msg_type"], msg["content"]
            if kind in ("comm_open", "comm_msg"):
                state = content.get("data", {}).get("state", {})
                paths = content.get("data", {}).get("buffer_paths", [])
                if ["value"] in paths and state.get("_model_name", "ImageModel") == "ImageModel":
                    value = bytes(msg["buffers"][paths.index(["value"])])
                    self.images.setdefault(content["comm_id"], []).append(value)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if kind in ("execute_result", "display_data"):
                result["outputs"].append(content["data"])
            elif kind == "stream":
                result["text"] += content["text"]
            elif kind == "error":
                result["error"] = "\n".join(content["traceback"])
            elif kind == "status" and content["execution_state"] == "idle":
                break
        result["seconds"] = time.perf_counter() - start
        return result

    def close(self):
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


@pytest.fixture(scope="module")
def kernel():
    k = Kernel()
    try:
        setup = k.run("import matplotlib\nmatplotlib.use('Agg')\n" + _MOVE)
        assert setup["error"] is None, setup["error"]
        yield k
    finally:
        k.close()


def test_the_chapters_have_explorer_cells_that_need_only_imports():
    assert len(CHAPTERS) >= 10 and set(EXCLUDED).isdisjoint(CHAPTERS)
    for name in [*CHAPTERS, *EXCLUDED]:
        imports, explorers = chapter_cells(name)
        assert imports and explorers, name


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_control_of_a_live_explorer_changes_the_displayed_image(kernel, chapter):
    imports, explorers = chapter_cells(chapter)
    for source in imports:
        out = kernel.run(source)
        assert out["error"] is None, f"{chapter}: {out['error']}"
    shown = 0
    for source in explorers:
        out = kernel.run(source)
        assert out["error"] is None, f"{chapter}: {source}\n{out['error']}"
        views = [o for o in out["outputs"] if WIDGET_MIME in o]
        for view in views:
            shown += 1
            # a live kernel gets the widget alone: the website's frames are not computed
            assert "text/html" not in view, (chapter, source)
            model_id = view[WIDGET_MIME]["model_id"]
            moved = kernel.run(f"print(repr(_lossbook_move({model_id!r})))")
            assert moved["error"] is None, f"{chapter}: {moved['error']}"
            report = ast.literal_eval(moved["text"].strip())
            images = kernel.images.get(report["image"], [])
            assert report["moves"], (chapter, source)
            # the first image came with the explorer, then one new image per control moved
            assert len(images) == 1 + len(report["moves"]), (chapter, source, report["moves"])
            for (control, value), before, after in zip(report["moves"], images, images[1:]):
                assert before[:4] == after[:4] == b"\x89PNG", (chapter, control)
                assert before != after, f"{chapter}: {source}: moving {control} to {value} " \
                                        f"did not change the picture"
    assert shown >= 1, chapter
