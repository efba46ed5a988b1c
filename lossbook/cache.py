"""Results of expensive computations (trainings, sweeps, simulations), memoised on disk.

Decorate a function with :func:`memoize` and its results are stored under
:func:`location` (``_build/cache/`` in the repository by default; ``LOSSBOOK_CACHE=<dir>``
moves it, ``LOSSBOOK_CACHE=off`` bypasses it). An entry is keyed by

* the **code** the result depends on: the function's module and every module of its
  package that it imports, transitively (the static import graph, read with ``ast``,
  see :func:`dependencies`), each hashed without its comments and docstrings. Editing
  ``lossbook/train.py`` invalidates an experiment that imports it; editing an unrelated
  chapter or a docstring does not;
* the **arguments**, bound to the signature with the defaults filled in (hashed with
  ``joblib.hash``, which handles NumPy arrays and tensors);
* the **environment**: the versions of Python, NumPy and torch, and whether CUDA is
  available (:func:`environment`);
* the global random states (``random``, ``numpy.random``, torch's default
  generator) before the call, unless ``rng=False``. On a hit, the states the call left
  behind are restored, so a notebook that draws random numbers after a cached call draws
  the same ones as after a computed call.

An entry is one file: a SHA-256 of its payload, then the payload written by
``joblib.dump``. A file that is truncated, altered or unreadable is recomputed (with a
:class:`CacheWarning`), never returned. Writes are atomic (a temporary file, renamed).

Only pure functions belong here: the result must depend on nothing but the code, the
arguments and the random state (not on files other than the fixed MNIST data, not on the
clock), and what the function prints or displays is not replayed on a hit.
"""
from __future__ import annotations

import ast
import contextlib
import dataclasses
import functools
import hashlib
import importlib.util
import inspect
import io
import json
import os
import pathlib
import random
import sys
import tempfile
import time
import warnings

import joblib

__all__ = ["memoize", "clear", "location", "calls", "CallInfo", "CacheWarning",
           "dependencies", "file_digest", "code_digest", "environment"]

_FORMAT = b"lossbook-cache 1 "


class CacheWarning(UserWarning):
    """A cache entry could not be read (it is recomputed) or a call could not be keyed."""


@dataclasses.dataclass(frozen=True)
class CallInfo:
    """One call of a memoised function.

    Attributes
    ----------
    name : str
        The function's cache name.
    cached : bool
        True if the result was read from the cache, False if it was computed.
    seconds : float
        Wall time of this call (reading the entry, or computing and storing it).
    computed_seconds : float or None
        Wall time of the computation that produced the result (None if unknown).
    key : str or None
        The entry's key (None when the cache is off or the call could not be keyed).
    path
        The entry's file (a ``pathlib.Path``), or None.
    """

    name: str
    cached: bool
    seconds: float
    computed_seconds: float | None
    key: str | None
    path: pathlib.Path | None


_CALLS: list[CallInfo] = []


def _record(info: CallInfo) -> None:
    """Keep ``info`` for :func:`calls`; with ``LOSSBOOK_CACHE_LOG=<file>``, append it there too
    (one JSON line per call: how the notebook executor counts a chapter's cache hits)."""
    _CALLS.append(info)
    log = os.environ.get("LOSSBOOK_CACHE_LOG")
    if log:
        line = json.dumps({"name": info.name, "cached": info.cached, "seconds": info.seconds,
                           "computed_seconds": info.computed_seconds})
        with contextlib.suppress(OSError), open(log, "a", encoding="utf-8") as f:
            f.write(line + "\n")


def calls() -> list[CallInfo]:
    """The :class:`CallInfo` of every call of a memoised function in this process, in order."""
    return list(_CALLS)


def location() -> pathlib.Path | None:
    """The cache directory, or None if ``LOSSBOOK_CACHE=off``.

    ``LOSSBOOK_CACHE=<dir>`` if set; otherwise ``_build/cache`` in the repository that holds
    this package (``~/.cache/lossbook/results`` for an installed, non-editable package).
    """
    value = os.environ.get("LOSSBOOK_CACHE", "").strip()
    if value.lower() == "off":
        return None
    if value:
        return pathlib.Path(value).expanduser().resolve()
    root = pathlib.Path(__file__).resolve().parents[1]
    if (root / "pyproject.toml").is_file():
        return root / "_build" / "cache"
    return pathlib.Path(os.environ.get("XDG_CACHE_HOME", "~/.cache")).expanduser() / "lossbook" / "results"


def clear(name: str | None = None) -> None:
    """Remove every entry (or only those of the memoised function called ``name``).

    Only entry files are removed: ``LOSSBOOK_CACHE=<dir>`` may also hold the MNIST
    download (``<dir>/mnist``, see :func:`lossbook.data.cache_dir`), which stays.
    """
    root = location()
    if root is None or not root.is_dir():
        return
    folders = [root / _safe(name)] if name is not None else [p for p in root.iterdir() if p.is_dir()]
    for folder in folders:
        if not folder.is_dir():
            continue
        for entry in list(folder.glob("*.pkl")) + list(folder.glob("*.pkl*.tmp")):
            with contextlib.suppress(OSError):
                entry.unlink()
        with contextlib.suppress(OSError):
            folder.rmdir()   # only if now empty


# --- the code a result depends on ------------------------------------------------------------
def _package_dir(top: str) -> pathlib.Path | None:
    module = sys.modules.get(top)
    paths = getattr(module, "__path__", None) if module is not None else None
    if not paths:
        try:
            spec = importlib.util.find_spec(top)
        except (ImportError, ValueError):
            return None
        paths = spec.submodule_search_locations if spec is not None else None
    return pathlib.Path(list(paths)[0]) if paths else None


def _module_file(name: str) -> pathlib.Path | None:
    """The source file of module ``name`` (without importing it), or None."""
    top, *rest = name.split(".")
    base = _package_dir(top)
    if base is None:
        return None
    path = base.joinpath(*rest)
    if (path / "__init__.py").is_file():
        return path / "__init__.py"
    if rest and path.with_suffix(".py").is_file():
        return path.with_suffix(".py")
    return None


def _is_namespace(name: str) -> bool:
    top, *rest = name.split(".")
    base = _package_dir(top)
    return base is not None and base.joinpath(*rest).is_dir()


def _imported_names(tree: ast.AST, module: str, is_package: bool):
    """Dotted names that ``tree`` (module ``module``) may import: imports and string constants."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".") if package else []
                if node.level > 1:
                    parts = parts[:len(parts) - (node.level - 1)]
                base = ".".join(parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            if base:
                yield base
                for alias in node.names:
                    yield f"{base}.{alias.name}"
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                node.value.replace(".", "").replace("_", "").isalnum() and "." in node.value:
            yield node.value   # importlib.import_module("lossbook.x") and lists of module names


def _parse(source: str) -> ast.AST:
    # Notebook cells may hold IPython magics and shell escapes.
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    return ast.parse("\n".join(lines))


def dependencies(module: str | None = None, *, source: str | None = None,
                 packages=None) -> dict[str, pathlib.Path]:
    """The modules that ``module`` (or the code ``source``) imports from ``packages``, transitively.

    Parameters
    ----------
    module : str, optional
        A dotted module name, e.g. ``"lossbook.train"``; it is included itself.
    source : str, optional
        Python code instead of a module (e.g. a notebook's code cells; lines that start with
        ``%`` or ``!`` are skipped).
    packages : iterable of str, optional
        The top-level packages to follow; default ``module``'s own top-level package, or
        ``("lossbook",)`` for ``source``.

    Returns
    -------
    dict
        Dotted name -> source file, sorted by name. Importing ``a.b.c`` runs ``a`` and
        ``a.b`` too, so parent packages are included; a name in ``from a import x`` counts
        when ``a.x`` is a module, and so does a string constant that names a module.
        The graph is static: code that builds module names at run time is not followed.
    """
    if (module is None) == (source is None):
        raise TypeError("dependencies() takes a module name or source=, not both and not neither")
    tops = set(packages) if packages is not None else {module.split(".")[0] if module else "lossbook"}
    found: dict[str, pathlib.Path] = {}
    pending: list[str] = []

    def add(name):
        parts = name.split(".")
        if parts[0] not in tops:
            return
        for i in range(1, len(parts) + 1):
            candidate = ".".join(parts[:i])
            if candidate not in found:
                path = _module_file(candidate)
                if path is None:
                    if i < len(parts) and _is_namespace(candidate):
                        continue
                    return
                found[candidate] = path
                pending.append(candidate)

    if module is not None:
        add(module)
        if module not in found:
            raise ValueError(f"module {module!r}: no source file found (packages {sorted(tops)})")
    else:
        for name in _imported_names(_parse(source), "__main__", False):
            add(name)
    while pending:
        name = pending.pop()
        for imported in _file_imports(found[name], name):
            add(imported)
    return dict(sorted(found.items()))


# Memos keyed by the SHA-256 of a file's bytes (reading ~30 files is fast; parsing is not).
_IMPORTS: dict[tuple, tuple] = {}
_DIGESTS: dict[tuple, str] = {}


def _file_imports(path: pathlib.Path, name: str) -> tuple:
    data = path.read_bytes()
    memo = (hashlib.sha256(data).digest(), name, path.name)
    if memo not in _IMPORTS:
        try:
            tree = ast.parse(data)
        except (SyntaxError, ValueError):
            names = ()   # its raw bytes still count in code_digest
        else:
            names = tuple(dict.fromkeys(_imported_names(tree, name, path.name == "__init__.py")))
        _IMPORTS[memo] = names
    return _IMPORTS[memo]


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
    return tree


def file_digest(path: pathlib.Path, code_only: bool = True) -> str:
    """SHA-256 of a source file: of its code only (no comments, docstrings, layout) or of its bytes."""
    data = pathlib.Path(path).read_bytes()
    raw = hashlib.sha256(data).hexdigest()
    if not code_only:
        return raw
    if raw not in _DIGESTS:
        try:
            code = ast.dump(_strip_docstrings(ast.parse(data)), include_attributes=False).encode()
        except (SyntaxError, ValueError):
            code = data
        _DIGESTS[raw] = hashlib.sha256(code).hexdigest()
    return _DIGESTS[raw]


def code_digest(files: dict[str, pathlib.Path], code_only: bool = True) -> str:
    """One SHA-256 over the names and :func:`file_digest` of ``files`` (as :func:`dependencies` gives)."""
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(f"{name}\0{file_digest(files[name], code_only)}\n".encode())
    return h.hexdigest()


def environment() -> dict[str, str]:
    """The versions that key every entry: Python, NumPy, torch (and CUDA availability)."""
    import numpy

    env = {"python": sys.version, "numpy": numpy.__version__}
    try:
        import torch
    except ImportError:
        env["torch"] = "absent"
    else:
        env["torch"] = str(torch.__version__)
        env["cuda"] = str(torch.cuda.is_available())
    return env


# --- random states ------------------------------------------------------------------------------
def _rng_state():
    import numpy

    state = {"random": random.getstate(), "numpy": numpy.random.get_state()}
    torch = sys.modules.get("torch")
    if torch is not None:
        state["torch"] = torch.get_rng_state().numpy().tobytes()
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            state["cuda"] = [s.numpy().tobytes() for s in torch.cuda.get_rng_state_all()]
    return state


def _set_rng_state(state):
    import numpy

    random.setstate(state["random"])
    numpy.random.set_state(state["numpy"])
    if "torch" in state:
        import torch

        torch.set_rng_state(torch.frombuffer(bytearray(state["torch"]), dtype=torch.uint8))
        if "cuda" in state and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(
                [torch.frombuffer(bytearray(s), dtype=torch.uint8) for s in state["cuda"]])


# --- entries ----------------------------------------------------------------------------------
def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name)


def _write(path: pathlib.Path, payload) -> None:
    buffer = io.BytesIO()
    joblib.dump(payload, buffer)
    data = buffer.getvalue()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(_FORMAT + hashlib.sha256(data).hexdigest().encode() + b"\n")
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _read(path: pathlib.Path):
    """The payload of entry ``path``; raises on a missing, truncated or altered file."""
    with open(path, "rb") as f:
        header = f.readline()
        data = f.read()
    if not header.startswith(_FORMAT):
        raise ValueError("not a lossbook cache entry")
    if hashlib.sha256(data).hexdigest().encode() != header[len(_FORMAT):].strip():
        raise ValueError("checksum mismatch (truncated or altered)")
    return joblib.load(io.BytesIO(data))


def memoize(function=None, *, name: str | None = None, rng: bool = False):
    """Memoise ``function`` on disk, keyed by its code, arguments, environment and random state.

    Use as ``@memoize`` or ``@memoize(name="learning_slowdown")``.

    Parameters
    ----------
    function : callable
        A pure function defined in a module of a package (e.g. ``lossbook.experiments``).
    name : str, optional
        The entry directory under :func:`location`; default ``<module>.<qualname>``.
    rng : bool, default False
        Key on the global random states (Python's, NumPy's, torch's) before the call and
        restore, on a hit, those the call left behind: for a function that draws from them.
        Off by default, for functions that seed what they use from their arguments (every
        lossbook experiment): Python and NumPy seed their global generators from the
        operating system at start-up, so a key that includes them never matches in a new
        process, and every build would recompute.

    Returns
    -------
    callable
        The memoised function (same signature and docstring). Its attribute ``last_call``
        is the :class:`CallInfo` of its latest call in this process (None before);
        ``is_cached(*args, **kwargs)`` tells whether a call would be served from the cache;
        ``cache_key(*args, **kwargs)`` gives the entry's key; ``cache_clear()`` removes its
        entries; ``__wrapped__`` is the original function.
    """
    if function is None:
        return functools.partial(memoize, name=name, rng=rng)
    if not callable(function):
        raise TypeError(f"memoize: expected a function, got {type(function).__name__}")
    label = name or f"{function.__module__}.{function.__qualname__}"
    signature = inspect.signature(function)
    module = function.__module__

    def code():
        if _module_file(module) is not None:
            return code_digest(dependencies(module))
        # A function outside a package (a script, a notebook): its own text and lossbook's.
        text = inspect.getsource(function)
        return hashlib.sha256(text.encode() + code_digest(dependencies(source=text)).encode()).hexdigest()

    def key(args, kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        parts = {"name": label, "code": code(), "environment": environment(),
                 "arguments": dict(bound.arguments),
                 "rng": _rng_state() if rng else None}
        return joblib.hash(parts)

    def entry(args, kwargs):
        root = location()
        if root is None:
            return None, None
        try:
            k = key(args, kwargs)
        except Exception as error:   # unpicklable argument, e.g. a lambda
            warnings.warn(f"{label}: not cached ({type(error).__name__}: {error})", CacheWarning,
                          stacklevel=3)
            return None, None
        return k, root / _safe(label) / f"{k}.pkl"

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        k, path = entry(args, kwargs)
        if path is not None and path.exists():
            try:
                payload = _read(path)
            except Exception as error:
                warnings.warn(f"{label}: cache entry {path} is unreadable ({error}); recomputing",
                              CacheWarning, stacklevel=2)
            else:
                if payload.get("rng_after") is not None:
                    _set_rng_state(payload["rng_after"])
                info = CallInfo(label, True, time.perf_counter() - start, payload.get("seconds"), k, path)
                wrapper.last_call = info
                _record(info)
                return payload["result"]
        computing = time.perf_counter()
        result = function(*args, **kwargs)
        seconds = time.perf_counter() - computing
        if path is not None:
            _write(path, {"result": result, "seconds": seconds,
                          "rng_after": _rng_state() if rng else None})
        info = CallInfo(label, False, time.perf_counter() - start, seconds, k, path)
        wrapper.last_call = info
        _record(info)
        return result

    def is_cached(*args, **kwargs) -> bool:
        _, path = entry(args, kwargs)
        if path is None or not path.exists():
            return False
        try:
            _read(path)
        except Exception:
            return False
        return True

    def cache_key(*args, **kwargs):
        return entry(args, kwargs)[0]

    wrapper.last_call = None
    wrapper.is_cached = is_cached
    wrapper.cache_key = cache_key
    wrapper.cache_clear = lambda: clear(label)
    wrapper.cache_name = label
    return wrapper
