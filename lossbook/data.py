"""MNIST, loaded from the four standard IDX files and verified byte for byte.

Where the files are looked for, in this order:

1. ``$LOSSBOOK_DATA/mnist/`` if the environment variable ``LOSSBOOK_DATA`` is set;
2. the user cache, ``$LOSSBOOK_CACHE/mnist/`` or ``~/.cache/lossbook/mnist/`` (honouring
   ``$XDG_CACHE_HOME``).

Each file may be gzipped (``train-images-idx3-ubyte.gz``) or not
(``train-images-idx3-ubyte``). Missing files are downloaded (when ``download=True``, the
default) from the usual mirrors into the cache (or, if it is not writable, into
``$LOSSBOOK_DATA/mnist/``), with a progress bar. Every file is checked against the SHA-256 of its *decompressed* content
(:data:`MNIST_SHA256`), so a missing, truncated or corrupted file raises
:class:`DataError` naming the file and what to do, and never yields garbage.

The decoded arrays are cached in ``<cache>/mnist/mnist.npz`` (uncompressed, so it loads in
a fraction of a second) and in memory for the rest of the process. The cache is verified by
the same hashes: the IDX bytes are rebuilt from the arrays and hashed, so a stale or damaged
cache is rebuilt rather than trusted.

Examples
--------
>>> from lossbook.data import load_mnist
>>> images, labels = load_mnist("test")          # doctest: +SKIP
>>> images.shape, images.dtype, labels[:5]        # doctest: +SKIP
((10000, 28, 28), dtype('uint8'), array([7, 2, 1, 0, 4]))

:func:`mnist_tensors` gives the experiments' torch tensors (scaled, optionally standardised,
a seeded subset).
"""
from __future__ import annotations

import gzip
import hashlib
import os
import struct
import tempfile
import urllib.error
import urllib.request
import zipfile
import zlib
from pathlib import Path

import numpy as np

__all__ = ["load_mnist", "mnist_tensors", "MNIST_MEAN", "MNIST_STD", "DataError", "MNIST_FILES", "MNIST_SHA256", "MIRRORS", "cache_dir",
           "search_dirs", "clear_memory_cache"]

#: Key -> IDX file name (without ``.gz``).
MNIST_FILES = {
    "train-images": "train-images-idx3-ubyte",
    "train-labels": "train-labels-idx1-ubyte",
    "test-images": "t10k-images-idx3-ubyte",
    "test-labels": "t10k-labels-idx1-ubyte",
}

#: SHA-256 of the decompressed content of each file (the IDX bytes).
MNIST_SHA256 = {
    "train-images": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "test-images": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "test-labels": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}

#: Base URLs tried in order; each serves ``<name>.gz``.
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)

_COUNTS = {"train": 60000, "test": 10000}
_MEMORY: dict[str, tuple[np.ndarray, np.ndarray]] = {}


class DataError(RuntimeError):
    """A data file is missing, truncated or corrupted (the message says which and what to do)."""


# --- locations --------------------------------------------------------------------------
def cache_dir() -> Path:
    """The user cache of lossbook: ``$LOSSBOOK_CACHE``, else ``$XDG_CACHE_HOME/lossbook``,
    else ``~/.cache/lossbook``. ``LOSSBOOK_CACHE=off`` (no result cache, see
    :mod:`lossbook.cache`) still keeps downloads in the default place."""
    value = os.environ.get("LOSSBOOK_CACHE", "").strip()
    if value and value.lower() != "off":
        return Path(value).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "lossbook"


def search_dirs(root=None, cache=None) -> list[Path]:
    """Directories searched for the IDX files, in order (see the module docstring).

    ``root`` replaces ``$LOSSBOOK_DATA`` (it is the directory *containing* ``mnist/``);
    ``cache`` replaces :func:`cache_dir`.
    """
    dirs = []
    data = root if root is not None else os.environ.get("LOSSBOOK_DATA")
    if data:
        dirs.append(Path(data).expanduser() / "mnist")
    dirs.append(Path(cache if cache is not None else cache_dir()).expanduser() / "mnist")
    return dirs


def clear_memory_cache() -> None:
    """Forget the arrays held in memory (the next load reads the ``.npz`` or the IDX files)."""
    _MEMORY.clear()


# --- IDX decoding and verification -------------------------------------------------------
_ADVICE = "Delete it and load again to re-download it, or replace it with a fresh copy of {name}."
_BAD_MIRROR = "The mirror served a bad copy; it was discarded."

def _read_bytes(path: Path, key: str, advice: str = _ADVICE) -> bytes:
    """The decompressed content of ``path``, with a clear error if it cannot be read."""
    compressed = path.name.endswith(".gz")
    try:
        if compressed:
            with gzip.open(path, "rb") as handle:
                return handle.read()
        return path.read_bytes()
    except (EOFError, OSError, zlib.error) as err:
        raise DataError(
            f"MNIST file {key!r} at {path} is not a readable "
            f"{'gzip' if compressed else 'IDX'} file (truncated or corrupted: {err}). "
            + advice.format(name=path.name)) from err


def _verify(content: bytes, key: str, where: str, advice: str = _ADVICE) -> None:
    digest = hashlib.sha256(content).hexdigest()
    if digest != MNIST_SHA256[key]:
        raise DataError(
            f"MNIST file {key!r} ({where}) has the wrong content: {len(content)} bytes with "
            f"SHA-256 {digest}, expected {MNIST_SHA256[key]} (the file is truncated, corrupted "
            f"or not MNIST). " + advice.format(name=MNIST_FILES[key] + ".gz"))


def _decode(content: bytes, key: str) -> np.ndarray:
    """Decode verified IDX bytes: images -> (N, 28, 28) uint8, labels -> (N,) int64."""
    zero, dtype_code, ndim = struct.unpack(">HBB", content[:4])
    if zero != 0 or dtype_code != 0x08:
        raise DataError(f"MNIST file {key!r} is not an unsigned-byte IDX file")
    dims = struct.unpack(f">{ndim}I", content[4:4 + 4 * ndim])
    data = np.frombuffer(content, dtype=np.uint8, offset=4 + 4 * ndim)
    array = data.reshape(dims)
    return array.astype(np.int64) if key.endswith("labels") else array.copy()


def _encode(array: np.ndarray, key: str) -> bytes:
    """The IDX bytes of a decoded array (used to verify the ``.npz`` cache)."""
    data = np.ascontiguousarray(array, dtype=np.uint8)
    header = struct.pack(">HBB", 0, 0x08, data.ndim) + struct.pack(f">{data.ndim}I", *data.shape)
    return header + data.tobytes()


def _find(key: str, dirs) -> Path | None:
    name = MNIST_FILES[key]
    for directory in dirs:
        for candidate in (directory / name, directory / (name + ".gz")):
            if candidate.is_file():
                return candidate
    return None


# --- download ----------------------------------------------------------------------------
def _writable_dir(dirs) -> Path | None:
    for directory in dirs:
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(directory, os.W_OK):
            return directory
    return None


def _download(key: str, target_dir: Path, mirrors, progress: bool, timeout: float) -> Path:
    """Download ``<name>.gz`` from the first mirror that serves a file with the right content."""
    from tqdm.auto import tqdm

    name = MNIST_FILES[key] + ".gz"
    target = target_dir / name
    failures = []
    for base in mirrors:
        url = base.rstrip("/") + "/" + name
        handle, tmp_name = tempfile.mkstemp(prefix=".partial-", suffix="-" + name, dir=target_dir)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(handle, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
                total = response.headers.get("Content-Length")
                with tqdm(total=int(total) if total else None, unit="B", unit_scale=True,
                          desc=name, disable=not progress, leave=False) as bar:
                    while chunk := response.read(1 << 16):
                        out.write(chunk)
                        bar.update(len(chunk))
            _verify(_read_bytes(tmp, key, _BAD_MIRROR), key, f"downloaded from {url}", _BAD_MIRROR)
        except (urllib.error.URLError, OSError, DataError, ValueError) as err:
            tmp.unlink(missing_ok=True)
            reason = err.reason if isinstance(err, urllib.error.URLError) else err
            failures.append(f"  {url}: {reason}")
            continue
        os.replace(tmp, target)
        return target
    raise DataError(
        f"MNIST file {key!r} ({name}) is missing and could not be downloaded:\n"
        + "\n".join(failures)
        + f"\nPut the four MNIST IDX files (gzipped or not) in {target_dir}, or set "
          f"LOSSBOOK_DATA to a directory that contains mnist/ with them.")


# --- the public loader --------------------------------------------------------------------
def _npz_path(dirs) -> Path:
    return dirs[-1] / "mnist.npz"


def _load_npz(path: Path):
    """Verified arrays from the ``.npz`` cache, or ``None`` if it is absent or stale."""
    try:
        with np.load(path) as data:
            arrays = {key: data[key] for key in MNIST_FILES}
    except (OSError, ValueError, KeyError, EOFError, zlib.error, zipfile.BadZipFile):
        # truncated, overwritten, not a zip, a bad CRC: rebuilt from the IDX files
        return None
    for key, array in arrays.items():
        expected = np.int64 if key.endswith("labels") else np.uint8
        if array.dtype != expected or (array.size and (array.min() < 0 or array.max() > 255)):
            return None
        if hashlib.sha256(_encode(array, key)).hexdigest() != MNIST_SHA256[key]:
            return None
    return arrays


def _save_npz(path: Path, arrays) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(prefix="mnist.", suffix=".npz", dir=path.parent)
        with os.fdopen(handle, "wb") as out:
            np.savez(out, **arrays)
        os.replace(tmp, path)
    except OSError:
        # A read-only cache only costs speed; the data are already verified.
        try:
            os.unlink(tmp)
        except (OSError, UnboundLocalError):
            pass


def load_mnist(split: str = "train", *, root=None, cache=None, download: bool = True,
               mirrors=None, progress: bool = True, timeout: float = 60.0):
    """Load an MNIST split as NumPy arrays, verified against the official files' SHA-256.

    Parameters
    ----------
    split : {'train', 'test'}
        60 000 training or 10 000 test images.
    root : path, optional
        A directory containing ``mnist/`` (replaces ``$LOSSBOOK_DATA``).
    cache : path, optional
        The cache directory (replaces :func:`cache_dir`); downloads and ``mnist.npz`` go to
        its ``mnist/`` sub-directory.
    download : bool, default True
        Download missing files from :data:`MIRRORS` (or ``mirrors``).
    mirrors : sequence of str, optional
        Base URLs to try instead of :data:`MIRRORS`.
    progress : bool, default True
        Show a tqdm progress bar while downloading.
    timeout : float, default 60
        Network timeout in seconds, per request.

    Returns
    -------
    images : ndarray, shape (N, 28, 28), uint8
        Read-only; pixel values 0–255.
    labels : ndarray, shape (N,), int64
        Read-only; digits 0–9.

    Raises
    ------
    DataError
        A file is missing (and cannot be downloaded), truncated or corrupted; the message
        names the file and what to do.
    """
    if split not in _COUNTS:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    dirs = search_dirs(root, cache)
    memo_key = "|".join(map(str, dirs))
    if memo_key not in _MEMORY:
        _MEMORY[memo_key] = _load_all(dirs, download, mirrors, progress, timeout)
    arrays = _MEMORY[memo_key]
    prefix = "train" if split == "train" else "test"
    return arrays[f"{prefix}-images"], arrays[f"{prefix}-labels"]


def _load_all(dirs, download, mirrors, progress, timeout):
    npz = _npz_path(dirs)
    arrays = _load_npz(npz) if npz.is_file() else None
    if arrays is None:
        arrays = {}
        for key in MNIST_FILES:
            path = _find(key, dirs)
            if path is None:
                if not download:
                    raise DataError(
                        f"MNIST file {key!r} ({MNIST_FILES[key]}[.gz]) was not found in "
                        f"{', '.join(map(str, dirs))}. Put the four IDX files there, set "
                        f"LOSSBOOK_DATA to a directory containing mnist/, or call with "
                        f"download=True.")
                target = _writable_dir(dirs[::-1])
                if target is None:
                    raise DataError(f"MNIST file {key!r} is missing and none of "
                                    f"{', '.join(map(str, dirs))} is writable to download it into.")
                path = _download(key, target, mirrors or MIRRORS, progress, timeout)
            content = _read_bytes(path, key)
            _verify(content, key, str(path))
            arrays[key] = _decode(content, key)
        for split, count in _COUNTS.items():
            if len(arrays[f"{split}-images"]) != count or len(arrays[f"{split}-labels"]) != count:
                raise DataError(f"MNIST {split} split should hold {count} images and labels")
        _save_npz(npz, arrays)
    for array in arrays.values():
        array.flags.writeable = False
    return arrays


#: MNIST training-set pixel mean (of images scaled to [0, 1]).
MNIST_MEAN = 0.1307
#: MNIST training-set pixel standard deviation (of images scaled to [0, 1]).
MNIST_STD = 0.3081


def mnist_tensors(split: str = "train", *, subset: int | None = None, standardize: bool = False,
                  flatten: bool = False, seed: int = 0):
    """MNIST as float32 torch tensors: images in [0, 1] (or standardised) and int64 labels.

    ``subset`` keeps that many images, chosen at random with ``seed`` (class frequencies are
    preserved in expectation); ``standardize`` subtracts :data:`MNIST_MEAN` and divides by
    :data:`MNIST_STD`; ``flatten`` gives (N, 784), otherwise (N, 1, 28, 28).
    """
    import torch

    images, labels = load_mnist(split)
    index = np.arange(len(labels))
    if subset is not None and subset < len(labels):
        index = np.sort(np.random.default_rng(seed).choice(len(labels), subset, replace=False))
    x = images[index].astype(np.float32) / 255.0
    if standardize:
        x = (x - MNIST_MEAN) / MNIST_STD
    x = x.reshape(len(index), -1) if flatten else x.reshape(len(index), 1, 28, 28)
    return torch.from_numpy(x), torch.from_numpy(labels[index].copy())
