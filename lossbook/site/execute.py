"""Execute the chapter notebooks across all cores, once per change, for ``make test`` and ``make book``.

The executed notebooks live in a `jupyter-cache <https://jupyter-cache.readthedocs.io>`_
project cache, ``_build/.jupyter_cache``, the one that the Jupyter Book build reads
(``execute_notebooks: cache`` in ``_config.yml``): the build reuses these outputs and
executes nothing itself.

jupyter-cache matches a notebook by its code cells only. It cannot see a change in
``lossbook/``, so each cached execution also stores :func:`notebook_key`: a hash of the
``lossbook`` modules the notebook imports (transitively, see
:func:`lossbook.cache.dependencies`), of ``requirements.txt`` and ``pyproject.toml``, of
the project files those modules name (e.g. ``_toc.yml``), and of the Python, NumPy and torch
versions. An execution whose key differs is stale: it is removed from the cache and the
notebook is executed again. Touching one chapter re-executes that chapter; editing
``lossbook/train.py`` re-executes the chapters that import it.

Usage (from the repository root)::

    python -m lossbook.site.execute [NOTEBOOK ...] [--jobs N] [--force]
    python -m lossbook.site.execute --report     # the table of the last run

Each notebook runs in its own kernel (one process per notebook, ``--jobs`` at a time, the
longest first), with the execution timeout of ``_config.yml`` as a hang guard. A notebook
that fails is not cached; its traceback is printed and the exit status is 1. The failure is
recorded with its inputs, so the next run (``make book`` after ``make test``) reports it
again without executing the notebook until the notebook or its key changes.
``--force`` (``make book FORCE=1``) or ``LOSSBOOK_CACHE=off`` re-executes everything. The
run ends with a table: each notebook's execution time, whether it came from the cache, how
many memoised calls (:mod:`lossbook.cache`) it computed or read, and its time budget.

The kernels run with ``LOSSBOOK_SITE_BUILD=1``: the outputs are the website's, so each
displayed explorer (:mod:`lossbook.widgets`) carries its precomputed kernel-free frames,
which a live kernel (Jupyter Lab, without that variable) never computes.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import datetime
import hashlib
import json
import multiprocessing
import os
import pathlib
import sys
import tempfile
import time
import traceback

ROOT = pathlib.Path(__file__).resolve().parents[2]
#: The jupyter-cache shared with the Jupyter Book build (myst-nb's default location).
CACHE_PATH = ROOT / "_build" / ".jupyter_cache"
#: Execution budget of a chapter on 2 cores, in seconds (issue 10), and the exceptions.
BUDGET = 60.0
BUDGETS = {"mnist_features": 180.0}
#: Files of the repository that a notebook's result may depend on when a module names them.
PROJECT_FILES = ("_toc.yml", "_config.yml", "references.bib")
_LAST_RUN = "lossbook-last-run.json"
_FAILED = "LOSSBOOK-FAILED"
#: Set to ``1`` in the kernels of :func:`run`: the notebook is executed for the website, so
#: explorers add their kernel-free frames to their output (:mod:`lossbook.widgets` reads it).
SITE_BUILD = "LOSSBOOK_SITE_BUILD"


@dataclasses.dataclass
class Outcome:
    """What happened to one notebook in a :func:`run`.

    Attributes
    ----------
    notebook : str
        Its path relative to the repository (``chapters/regression.ipynb``).
    status : str
        ``'cached'`` (served from the cache), ``'executed'`` (executed now) or ``'failed'``
        (executed now and failed; not cached).
    seconds : float or None
        Execution time (of the cached execution, for ``'cached'``).
    executed_at : str or None
        When that execution was cached (ISO 8601).
    memoised : dict
        ``{"computed": n, "cached": m}``: memoised calls (:mod:`lossbook.cache`) of the
        execution, if it recorded them.
    traceback : str or None
        The error, for ``'failed'``.
    recorded : bool
        For ``'failed'``: the failure was recorded by an earlier run with the same inputs
        (nothing was executed now).
    """

    notebook: str
    status: str
    seconds: float | None = None
    executed_at: str | None = None
    memoised: dict = dataclasses.field(default_factory=dict)
    traceback: str | None = None
    recorded: bool = False

    @property
    def budget(self) -> float:
        return BUDGETS.get(pathlib.Path(self.notebook).stem, BUDGET)


def notebooks() -> list[pathlib.Path]:
    """The chapter notebooks, ``chapters/*.ipynb`` (``tests/test_notebooks.py`` checks the TOC lists them)."""
    return sorted((ROOT / "chapters").glob("*.ipynb"))


def timeout() -> int:
    """The per-cell execution timeout of ``_config.yml`` (``execute: timeout``), a hang guard."""
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    return int((config.get("execute") or {}).get("timeout", 1800))


def _code(nb) -> str:
    return "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")


def notebook_key(path, nb=None) -> str:
    """The key that jupyter-cache misses: what a notebook's outputs depend on outside its cells.

    A SHA-256 of the source bytes of the ``lossbook`` modules the notebook's code imports
    (transitively; docstrings included, since the catalog and API pages print them),
    ``requirements.txt``, ``pyproject.toml``, the :data:`PROJECT_FILES` whose name appears in
    a string of one of those modules' code (``_book.py`` reads ``_toc.yml``), and
    :func:`lossbook.cache.environment`.
    """
    import nbformat

    from lossbook import cache

    nb = nb if nb is not None else nbformat.read(str(path), as_version=4)
    files = cache.dependencies(source=_code(nb), packages=("lossbook",))
    h = hashlib.sha256()
    h.update(cache.code_digest(files, code_only=False).encode())
    named = set().union(*(_string_constants(p) for p in files.values()))
    extra = ["requirements.txt", "pyproject.toml"]
    extra += [name for name in PROJECT_FILES if any(name in text for text in named)]
    for name in extra:
        file = ROOT / name
        h.update(f"\0{name}\0".encode())
        h.update(file.read_bytes() if file.is_file() else b"(absent)")
    h.update(json.dumps(cache.environment(), sort_keys=True).encode())
    return h.hexdigest()


def _string_constants(path: pathlib.Path) -> set:
    """The string constants of a module's code (not its docstrings or comments)."""
    import ast

    from lossbook.cache import _strip_docstrings

    try:
        tree = _strip_docstrings(ast.parse(path.read_bytes()))
    except (SyntaxError, ValueError):
        return {path.read_text(encoding="utf-8", errors="replace")}
    return {node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)}


def _count_calls(log: pathlib.Path) -> dict:
    counts = {"computed": 0, "cached": 0}
    if log.is_file():
        for line in log.read_text(encoding="utf-8").splitlines():
            try:
                counts["cached" if json.loads(line)["cached"] else "computed"] += 1
            except (ValueError, KeyError):
                continue
    return counts


def _execute(cache_path: str, uri: str, seconds_timeout: int, key: str) -> dict:
    """Execute one notebook in its own kernel and cache it (top level: the pool pickles it)."""
    import nbformat
    from jupyter_cache import get_cache
    from jupyter_cache.executors.utils import single_nb_execution

    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        log = pathlib.Path(tmp) / "calls.jsonl"
        # Inherited by the kernel: where memoised calls are logged, and that the notebook is
        # executed for the website (explorers add their precomputed frames, lossbook.widgets).
        previous = {name: os.environ.get(name) for name in ("LOSSBOOK_CACHE_LOG", SITE_BUILD)}
        os.environ["LOSSBOOK_CACHE_LOG"] = str(log)
        os.environ[SITE_BUILD] = "1"
        try:
            # A cell's error (or timeout) is final; a failure of the machinery (a kernel that died or did not
            # start, e.g. a port taken by a kernel starting at the same moment) is tried once more.
            for attempt in (1, 2):
                nb = nbformat.read(uri, as_version=4)
                try:
                    result = single_nb_execution(nb, cwd=str(pathlib.Path(uri).parent),
                                                 timeout=seconds_timeout, allow_errors=False)
                    error, seconds = result.exc_string if result.err is not None else None, result.time
                    cell_error = result.err is not None   # a cell's error or timeout
                except Exception:   # a dead kernel, an unreadable notebook, ...
                    error, seconds = traceback.format_exc(), time.perf_counter() - start
                    cell_error = False
                if error is None or cell_error:
                    break
        finally:
            for name, value in previous.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        memoised = _count_calls(log)
    cache = get_cache(cache_path)
    return _with_retry(lambda: _store(cache, nb, uri, key, error, seconds, memoised))


def _with_retry(write, attempts: int = 5):
    """``write()``, retried while the cache's SQLite database is locked by another process."""
    from sqlalchemy.exc import OperationalError

    for attempt in range(attempts):
        try:
            return write()
        except OperationalError:
            if attempt == attempts - 1:
                raise
            time.sleep(1.0 + attempt)


def _store(cache, nb, uri, key, error, seconds, memoised) -> dict:
    """Record one execution in the jupyter-cache: its outputs, or its failure."""
    from jupyter_cache.base import CacheBundleIn
    from jupyter_cache.cache.db import NbProjectRecord

    if error is not None:
        # Recorded with the inputs that failed, so that `make book` after `make test` (or the
        # notebook's test after the parallel pass) reports it without executing it again.
        mark = json.dumps({"hash": cache.create_hashed_notebook(nb)[1], "key": key, "seconds": seconds})
        NbProjectRecord.set_traceback(uri, f"{_FAILED} {mark}\n{error}", cache.db)
        return {"status": "failed", "seconds": seconds, "traceback": error, "memoised": memoised}
    record = cache.cache_notebook_bundle(
        CacheBundleIn(nb, uri, data={"execution_seconds": seconds, "lossbook_key": key,
                                     "memoised": memoised}),
        check_validity=False, overwrite=True)
    return {"status": "executed", "seconds": seconds, "memoised": memoised,
            "executed_at": record.created.isoformat(timespec="seconds")}


def _relative(path: pathlib.Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def run(paths=None, *, jobs: int | None = None, force: bool = False,
        seconds_timeout: int | None = None, cache_path=None, echo=print) -> list[Outcome]:
    """Bring the cached executions of ``paths`` (default: every chapter) up to date.

    Parameters
    ----------
    paths : sequence of path-like, optional
        Notebooks; default :func:`notebooks`.
    jobs : int, optional
        Notebooks executed at once, each in its own kernel; default the number of cores.
    force : bool
        Execute even those whose cached execution is current (also when
        ``LOSSBOOK_CACHE=off``).
    seconds_timeout : int, optional
        Per-cell timeout; default :func:`timeout`.
    cache_path : path-like, optional
        The jupyter-cache; default :data:`CACHE_PATH`.
    echo : callable
        Progress messages (``print``; ``None`` for silence).

    Returns
    -------
    list of Outcome
        In the order of ``paths``.
    """
    import nbformat
    from jupyter_cache import get_cache
    from jupyter_cache.cache.db import NbCacheRecord, NbProjectRecord

    echo = echo or (lambda *a, **k: None)
    paths = [pathlib.Path(p).absolute() for p in (paths if paths is not None else notebooks())]
    force = force or os.environ.get("LOSSBOOK_CACHE", "").strip().lower() == "off"
    if not jobs:
        jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    seconds_timeout = seconds_timeout or timeout()
    cache_path = pathlib.Path(cache_path or CACHE_PATH)
    cache = get_cache(str(cache_path))
    records = cache.list_cache_records()

    outcomes: dict[str, Outcome] = {}
    todo = []   # (estimated seconds, uri, key)
    for path in paths:
        uri = str(path)
        name = _relative(path)
        cache.add_nb_to_project(uri)
        nb = nbformat.read(uri, as_version=4)
        key = notebook_key(path, nb)
        try:
            record = cache.match_cache_notebook(nb)
        except KeyError:
            record = None
        if record is not None and not force and record.data.get("lossbook_key") == key:
            outcomes[uri] = Outcome(name, "cached", record.data.get("execution_seconds"),
                                    record.created.isoformat(timespec="seconds"),
                                    record.data.get("memoised", {}))
            continue
        project = NbProjectRecord.record_from_uri(uri, cache.db)
        failure = _recorded_failure(project.traceback, cache.create_hashed_notebook(nb)[1], key)
        if failure is not None and not force:
            outcomes[uri] = Outcome(name, "failed", failure[0], traceback=failure[1] +
                                    "\n(recorded when these inputs last failed: change them, or "
                                    "re-execute with --force / make ... FORCE=1)", recorded=True)
            continue
        NbProjectRecord.remove_tracebacks([project.pk], cache.db)
        if record is not None:   # stale (or forced): the build must not find it
            _remove(cache, record.pk)
        previous = [r.data.get("execution_seconds") for r in records if r.uri == uri]
        previous = [s for s in previous if isinstance(s, (int, float))]
        estimate = max(previous) if previous else BUDGETS.get(path.stem, BUDGET)
        todo.append((estimate, uri, key))

    todo.sort(key=lambda item: (-item[0], item[1]))
    if todo:
        echo(f"Executing {len(todo)} of {len(paths)} notebooks, {min(jobs, len(todo))} at a time "
             f"(the others are current in {_relative(cache_path)})", flush=True)
    done = 0

    def finished(uri, result):
        nonlocal done
        done += 1
        outcome = Outcome(_relative(pathlib.Path(uri)), result["status"], result["seconds"],
                          result.get("executed_at"), result.get("memoised", {}), result.get("traceback"))
        outcomes[uri] = outcome
        echo(f"[{done}/{len(todo)}] {outcome.notebook}: {outcome.status} in {outcome.seconds:.1f} s",
             flush=True)

    if jobs <= 1 or len(todo) <= 1:
        for _, uri, key in todo:
            finished(uri, _execute(str(cache_path), uri, seconds_timeout, key))
    else:
        context = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(max_workers=min(jobs, len(todo)),
                                                    mp_context=context) as pool:
            futures = {pool.submit(_execute, str(cache_path), uri, seconds_timeout, key): uri
                       for _, uri, key in todo}
            for future in concurrent.futures.as_completed(futures):
                uri = futures[future]
                try:
                    result = future.result()
                except Exception:   # the worker process itself died
                    result = {"status": "failed", "seconds": 0.0, "traceback": traceback.format_exc()}
                finished(uri, result)

    # Older executions of a notebook that was executed now are of no further use.
    fresh = {uri for uri, o in outcomes.items() if o.status == "executed"}
    current = {r.pk for r in (_match(cache, uri) for uri in fresh) if r is not None}
    for record in NbCacheRecord.records_all(cache.db):
        if record.uri in fresh and record.pk not in current:
            _remove(cache, record.pk)
    return [outcomes[str(p)] for p in paths]


def _recorded_failure(text, nb_hash, key):
    """(seconds, traceback) of a failure recorded for exactly these inputs, else None."""
    if not text or not text.startswith(_FAILED):
        return None
    first, _, rest = text.partition("\n")
    try:
        mark = json.loads(first[len(_FAILED):])
    except ValueError:
        return None
    if mark.get("hash") != nb_hash or mark.get("key") != key:
        return None
    return mark.get("seconds"), rest


def _match(cache, uri):
    import nbformat

    try:
        return cache.match_cache_notebook(nbformat.read(uri, as_version=4))
    except KeyError:
        return None


def _remove(cache, pk):
    from jupyter_cache.cache.db import NbCacheRecord

    try:
        cache.remove_cache(pk)
    except KeyError:   # its notebook file is gone already
        NbCacheRecord.remove_records([pk], cache.db)


def table(outcomes, wall: float | None = None, jobs: int | None = None) -> str:
    """The timing table: one row per notebook, slowest first, then the totals."""
    rows = sorted(outcomes, key=lambda o: -(o.seconds or 0))
    width = max([len("notebook")] + [len(o.notebook) for o in rows])
    lines = [f"{'notebook':<{width}}  {'execution':>9}  {'source':<26}  {'memoised calls':<22}  budget"]
    for o in rows:
        source = {"cached": f"cache ({o.executed_at or '?'})", "executed": "executed now",
                  "failed": "FAILED (recorded)" if o.recorded else "FAILED"}[o.status]
        memo = o.memoised or {}
        calls = (f"{memo.get('computed', 0)} computed, {memo.get('cached', 0)} cached"
                 if memo.get("computed") or memo.get("cached") else "-")
        seconds = f"{o.seconds:8.1f}s" if o.seconds is not None else f"{'?':>9}"
        over = "  OVER BUDGET" if o.seconds is not None and o.seconds > o.budget else ""
        lines.append(f"{o.notebook:<{width}}  {seconds}  {source:<26}  {calls:<22}  {o.budget:4.0f} s{over}")
    executed = [o for o in rows if o.status != "cached" and not o.recorded]
    total = sum(o.seconds or 0 for o in rows)
    summary = (f"{len(rows)} notebooks, {total:.0f} s of execution in all; executed now: "
               f"{len(executed)} ({sum(o.seconds or 0 for o in executed):.0f} s), "
               f"from the cache: {len(rows) - len(executed)}")
    if wall is not None:
        summary += f"; this run took {wall:.0f} s" + (f" with {jobs} jobs" if jobs else "")
    return "\n".join(lines + [summary])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lossbook.site.execute",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=pathlib.Path,
                        help="notebooks to execute (default: chapters/*.ipynb)")
    parser.add_argument("--jobs", "-j", type=int, default=None, help="notebooks at once (default: cores)")
    parser.add_argument("--force", action="store_true", help="execute even current notebooks")
    parser.add_argument("--report", action="store_true", help="print the table of the last run and exit")
    args = parser.parse_args(argv)
    summary = CACHE_PATH / _LAST_RUN
    if args.report:
        if not summary.is_file():
            print(f"no notebook executions recorded yet ({_relative(summary)} is missing)")
            return 1
        data = json.loads(summary.read_text())
        outcomes = [Outcome(**o) for o in data["outcomes"]]
        print(f"\nNotebook executions ({data['finished']}):")
        print(table(outcomes, data.get("wall"), data.get("jobs")))
        return int(any(o.status == "failed" for o in outcomes))
    start = time.perf_counter()
    outcomes = run(args.notebooks or None, jobs=args.jobs, force=args.force)
    wall = time.perf_counter() - start
    summary.parent.mkdir(parents=True, exist_ok=True)
    summary.write_text(json.dumps({
        "finished": datetime.datetime.now().isoformat(timespec="seconds"), "wall": wall,
        "jobs": args.jobs, "outcomes": [dataclasses.asdict(o) for o in outcomes]}, indent=1))
    failed = [o for o in outcomes if o.status == "failed"]
    for o in failed:
        print(f"\n{'=' * 30} {o.notebook} failed {'=' * 30}\n{o.traceback}", file=sys.stderr)
    print(table(outcomes, wall, args.jobs))
    if failed:
        print(f"\n{len(failed)} notebook(s) failed: {', '.join(o.notebook for o in failed)}",
              file=sys.stderr)
    return int(bool(failed))


if __name__ == "__main__":
    sys.exit(main())
