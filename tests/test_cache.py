"""lossbook.cache: entries keyed by the code a result depends on, its arguments and versions.

Each test builds a throw-away package in a temporary directory (``pkg_<n>``: ``train.py``
used by ``exp.py``, whose ``run`` is memoised, and an unrelated ``other.py``) and a cache
in another, so nothing touches the repository's ``_build/cache``.
"""
from __future__ import annotations

import importlib
import itertools
import json
import pathlib
import pickle
import sys
import textwrap
import warnings

import numpy as np
import pytest

from lossbook import cache

_COUNTER = itertools.count()

TRAIN = '''\
"""Training helpers."""
SCALE = 2


def step(x):
    """One step."""
    return SCALE * x  # the rule
'''

EXP = '''\
import numpy as np

from lossbook.cache import memoize
from . import train
from .{sub} import helper

CALLS = []


@memoize
def run(x, repeat=1):
    CALLS.append(x)
    return [train.step(x) + helper()] * repeat


@memoize(rng=True)
def noisy(n):
    return np.random.rand(n)
'''


@pytest.fixture
def pkg(tmp_path, monkeypatch):
    """A fresh package ``pkg_<n>`` on sys.path, and LOSSBOOK_CACHE in tmp_path/cache."""
    name = f"lossbook_cache_test_pkg_{next(_COUNTER)}"
    root = tmp_path / "src" / name
    (root / "sub").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "sub" / "__init__.py").write_text("")
    (root / "sub" / "helper.py").write_text("def helper():\n    return 0\n")
    (root / "train.py").write_text(TRAIN)
    (root / "exp.py").write_text(EXP.format(sub="sub.helper"))
    (root / "other.py").write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path / "src"))
    monkeypatch.setenv("LOSSBOOK_CACHE", str(tmp_path / "cache"))
    module = importlib.import_module(f"{name}.exp")
    yield module, root
    for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
        del sys.modules[key]


def _edit(path: pathlib.Path, old: str, new: str):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_a_second_call_is_served_from_the_cache(pkg, tmp_path):
    exp, _ = pkg
    assert exp.run(3) == [6]
    assert exp.run.last_call.cached is False
    assert exp.run(3) == [6]
    assert exp.run.last_call.cached is True
    assert exp.CALLS == [3]                      # computed once
    assert exp.run.last_call.path.is_file()
    assert exp.run.last_call.path.is_relative_to(tmp_path / "cache")
    assert cache.calls()[-2:] == [c for c in cache.calls()[-2:] if c.name.endswith("exp.run")]
    # defaults are bound: run(3) and run(3, repeat=1) are the same call
    assert exp.run(3, repeat=1) == [6] and exp.run.last_call.cached is True
    assert exp.run(4) == [8] and exp.run.last_call.cached is False


def test_the_key_follows_the_import_graph(pkg):
    exp, root = pkg
    files = cache.dependencies(exp.__name__)
    package = exp.__name__.rpartition(".")[0]
    assert set(files) == {package, f"{package}.exp", f"{package}.train", f"{package}.sub",
                          f"{package}.sub.helper"}
    assert "lossbook.cache" in cache.dependencies("lossbook.cache")


def test_a_changed_line_in_a_dependency_invalidates(pkg):
    exp, root = pkg
    exp.run(3)
    assert exp.run.is_cached(3)
    _edit(root / "train.py", "return SCALE * x", "return SCALE * x + 1")
    assert not exp.run.is_cached(3)
    importlib.reload(sys.modules[exp.__name__.rpartition(".")[0] + ".train"])
    assert exp.run(3) == [7] and exp.run.last_call.cached is False
    # a module two imports away (exp -> sub.helper) counts too
    _edit(root / "sub" / "helper.py", "return 0", "return 10")
    assert not exp.run.is_cached(3)


def test_unrelated_code_comments_and_docstrings_do_not_invalidate(pkg):
    exp, root = pkg
    exp.run(3)
    (root / "other.py").write_text("VALUE = 2\n")
    _edit(root / "train.py", "# the rule", "# the rule, reworded")
    _edit(root / "train.py", '"""One step."""', '"""One gradient step, documented."""')
    _edit(root / "train.py", '"""Training helpers."""', '"""Training helpers.\n\nMore."""')
    assert exp.run.is_cached(3)


def test_a_corrupt_entry_is_recomputed_never_returned(pkg):
    exp, _ = pkg
    exp.run(3)
    path = exp.run.last_call.path
    data = bytearray(path.read_bytes())
    for corrupt in (bytes(data[:len(data) // 2]),                 # truncated
                    bytes(data[:-3]) + bytes([data[-3] ^ 1]) + bytes(data[-2:]),   # one bit flipped
                    b"garbage"):
        path.write_bytes(corrupt)
        assert not exp.run.is_cached(3)
        with pytest.warns(cache.CacheWarning, match="unreadable"):
            assert exp.run(3) == [6]
        assert exp.run.last_call.cached is False
        assert exp.run(3) == [6] and exp.run.last_call.cached is True   # rewritten
    assert exp.CALLS == [3, 3, 3, 3]


def test_off_bypasses_the_cache(pkg, tmp_path, monkeypatch):
    exp, _ = pkg
    monkeypatch.setenv("LOSSBOOK_CACHE", "off")
    assert cache.location() is None
    exp.run(3)
    exp.run(3)
    assert exp.CALLS == [3, 3]
    assert exp.run.last_call.cached is False and exp.run.last_call.path is None
    assert not (tmp_path / "cache").exists()


@pytest.mark.parametrize("package", ["numpy", "torch"])
def test_another_numpy_or_torch_version_invalidates(pkg, monkeypatch, package):
    exp, _ = pkg
    exp.run(3)
    assert exp.run.is_cached(3)
    module = importlib.import_module(package)
    monkeypatch.setattr(module, "__version__", module.__version__ + ".other")
    assert not exp.run.is_cached(3)
    exp.run(3)
    assert exp.run.last_call.cached is False


def test_the_random_state_is_keyed_and_replayed(pkg):
    exp, _ = pkg
    np.random.seed(0)
    first = exp.noisy(3)
    after_computed = np.random.rand()
    np.random.seed(0)
    again = exp.noisy(3)
    assert exp.noisy.last_call.cached is True
    np.testing.assert_array_equal(first, again)
    assert np.random.rand() == after_computed    # the state the call left behind, restored
    np.random.seed(1)
    exp.noisy(3)
    assert exp.noisy.last_call.cached is False   # another random state, another entry


def test_a_new_process_is_served_from_the_cache(pkg, tmp_path):
    import os
    import subprocess

    exp, _ = pkg
    script = (f"import {exp.__name__} as exp; exp.run(3); "
              "print(exp.run.last_call.cached)")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / "src"), *sys.path])}
    seen = [subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                           check=True).stdout.strip() for _ in range(2)]
    # Python and NumPy seed their global generators from the OS: keyed on them, the
    # second process would miss
    assert seen == ["False", "True"]


def test_location_and_clear(pkg, tmp_path, monkeypatch):
    exp, _ = pkg
    assert cache.location() == (tmp_path / "cache").resolve()
    exp.run(3)
    exp.run.cache_clear()
    assert not exp.run.is_cached(3)
    exp.run(3)
    (tmp_path / "cache" / "mnist").mkdir()
    (tmp_path / "cache" / "mnist" / "train-images-idx3-ubyte.gz").write_bytes(b"data")
    cache.clear()
    assert not exp.run.is_cached(3)
    assert list((tmp_path / "cache").rglob("*.pkl")) == []
    assert (tmp_path / "cache" / "mnist" / "train-images-idx3-ubyte.gz").exists()   # not ours
    monkeypatch.delenv("LOSSBOOK_CACHE")
    assert cache.location() == pathlib.Path(cache.__file__).resolve().parents[1] / "_build" / "cache"


def test_an_unhashable_argument_is_computed_with_a_warning(pkg):
    exp, _ = pkg

    class Unpicklable:
        def __reduce__(self):
            raise pickle.PicklingError("no pickling")   # as for a lambda

        def __rmul__(self, other):
            return 0

    with pytest.warns(cache.CacheWarning, match="not cached"):
        exp.run(Unpicklable())
    assert exp.run.last_call.cached is False


def test_calls_are_logged_to_a_file_for_the_notebook_executor(pkg, tmp_path, monkeypatch):
    exp, _ = pkg
    log = tmp_path / "calls.jsonl"
    monkeypatch.setenv("LOSSBOOK_CACHE_LOG", str(log))
    exp.run(3)
    exp.run(3)
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [line["cached"] for line in lines] == [False, True]
    assert lines[0]["name"].endswith(".exp.run")


def test_off_keeps_downloads_in_the_default_place(monkeypatch, tmp_path):
    from lossbook import data

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("LOSSBOOK_CACHE", "off")
    assert data.cache_dir() == tmp_path / "lossbook"


def test_memoize_rejects_a_non_function():
    with pytest.raises(TypeError, match="expected a function"):
        cache.memoize(3)
    with pytest.raises(TypeError, match="not both"):
        cache.dependencies()


def test_dependencies_of_notebook_code():
    source = textwrap.dedent("""\
        %matplotlib inline
        import numpy as np
        from lossbook.plotting import use_style
        """)
    files = cache.dependencies(source=source)
    assert {"lossbook", "lossbook.plotting", "lossbook.registry"} <= set(files)
    assert "lossbook.cache" not in files
