"""lossbook.data: MNIST from local IDX files, the download path (against a loopback HTTP
server, never the internet), verification and the .npz cache."""
from __future__ import annotations

import contextlib
import functools
import gzip
import http.server
import os
import shutil
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from lossbook import data
from lossbook.data import MNIST_FILES, DataError, load_mnist

SOURCE = Path(os.environ.get("LOSSBOOK_DATA", "/work/shared/data")) / "mnist"
needs_mnist = pytest.mark.skipif(
    not all((SOURCE / (n + ".gz")).is_file() for n in MNIST_FILES.values()),
    reason="the MNIST IDX files are not available (set LOSSBOOK_DATA)")


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    """No test sees the user's cache, LOSSBOOK_DATA or a proxy, or another test's arrays."""
    monkeypatch.delenv("LOSSBOOK_DATA", raising=False)
    monkeypatch.setenv("LOSSBOOK_CACHE", str(tmp_path / "user-cache"))
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    data.clear_memory_cache()
    yield
    data.clear_memory_cache()


def _copy(tmp_path, gz=True, names=None) -> Path:
    """A data root holding copies of the IDX files (gzipped or decompressed)."""
    target = tmp_path / "root" / "mnist"
    target.mkdir(parents=True)
    for key, name in MNIST_FILES.items():
        if names is not None and key not in names:
            continue
        if gz:
            shutil.copy(SOURCE / (name + ".gz"), target / (name + ".gz"))
        else:
            with gzip.open(SOURCE / (name + ".gz")) as src:
                (target / name).write_bytes(src.read())
    return target.parent


@functools.lru_cache(maxsize=None)
def _reference(split):
    """The arrays decoded by hand, independently of lossbook.data."""
    prefix = "train" if split == "train" else "t10k"
    with gzip.open(SOURCE / f"{prefix}-images-idx3-ubyte.gz") as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
    with gzip.open(SOURCE / f"{prefix}-labels-idx1-ubyte.gz") as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)
    return images, labels


@needs_mnist
def test_loads_the_real_files_and_matches_an_independent_decoder(tmp_path):
    cache = tmp_path / "cache"
    images, labels = load_mnist("train", root=SOURCE.parent, cache=cache, download=False)
    test_images, test_labels = load_mnist("test", root=SOURCE.parent, cache=cache, download=False)
    assert images.shape == (60000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (60000,) and labels.dtype == np.int64
    assert test_images.shape == (10000, 28, 28) and test_labels.shape == (10000,)
    assert labels[:5].tolist() == [5, 0, 4, 1, 9]
    assert test_labels[:5].tolist() == [7, 2, 1, 0, 4]
    assert np.bincount(test_labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    ref_images, ref_labels = _reference("train")
    np.testing.assert_array_equal(images, ref_images)
    np.testing.assert_array_equal(labels, ref_labels)
    assert not images.flags.writeable, "the cached arrays are shared: they must be read-only"
    assert (cache / "mnist" / "mnist.npz").is_file()


@needs_mnist
def test_the_npz_cache_is_used_verified_and_rebuilt_when_damaged(tmp_path):
    cache = tmp_path / "cache"
    root = _copy(tmp_path)
    first, _ = load_mnist("test", root=root, cache=cache)
    npz = cache / "mnist" / "mnist.npz"
    assert npz.is_file()
    # The IDX files are no longer needed: the verified .npz is enough.
    shutil.rmtree(root / "mnist")
    data.clear_memory_cache()
    start = time.perf_counter()
    again, _ = load_mnist("test", root=root, cache=cache, download=False)
    assert time.perf_counter() - start < 5.0
    np.testing.assert_array_equal(first, again)
    # A damaged cache (one pixel changed) is not trusted: without IDX files this must fail.
    with np.load(npz) as archive:
        arrays = {k: archive[k].copy() for k in archive.files}
    arrays["test-images"][0, 10, 10] ^= 1
    np.savez(npz, **arrays)
    data.clear_memory_cache()
    with pytest.raises(DataError, match="not found"):
        load_mnist("test", root=root, cache=cache, download=False)
    # With the IDX files back, the cache is rebuilt.
    root = _copy(tmp_path / "again")
    data.clear_memory_cache()
    images, _ = load_mnist("test", root=root, cache=cache, download=False)
    np.testing.assert_array_equal(images, first)
    with np.load(npz) as archive:
        np.testing.assert_array_equal(archive["test-images"], first)


@needs_mnist
@pytest.mark.parametrize("damage", ["truncated", "bad checksum", "empty", "garbage"])
def test_a_broken_npz_archive_is_rebuilt_from_the_idx_files(tmp_path, damage):
    cache = tmp_path / "cache"
    root = _copy(tmp_path)
    first, labels = load_mnist("test", root=root, cache=cache)
    npz = cache / "mnist" / "mnist.npz"
    raw = npz.read_bytes()
    broken = {"truncated": raw[: len(raw) // 2],
              # flip a byte inside the stored image data: the zip's CRC no longer matches
              "bad checksum": raw[:len(raw) // 3] + bytes([raw[len(raw) // 3] ^ 0xFF]) + raw[len(raw) // 3 + 1:],
              "empty": b"",
              "garbage": bytes(range(256)) * 20}[damage]
    npz.write_bytes(broken)
    data.clear_memory_cache()
    images, again = load_mnist("test", root=root, cache=cache, download=False)
    np.testing.assert_array_equal(images, first)
    np.testing.assert_array_equal(again, labels)
    with np.load(npz) as archive:       # and the archive is whole again
        np.testing.assert_array_equal(archive["test-images"], first)


@needs_mnist
def test_uncompressed_files_are_accepted(tmp_path):
    root = _copy(tmp_path, gz=False)
    images, labels = load_mnist("test", root=root, cache=tmp_path / "cache", download=False)
    np.testing.assert_array_equal(images, _reference("test")[0])
    np.testing.assert_array_equal(labels, _reference("test")[1])


@needs_mnist
def test_environment_variables_locate_the_files(tmp_path, monkeypatch):
    root = _copy(tmp_path)
    monkeypatch.setenv("LOSSBOOK_DATA", str(root))
    images, _ = load_mnist("test", download=False)
    assert images.shape == (10000, 28, 28)
    assert (tmp_path / "user-cache" / "mnist" / "mnist.npz").is_file()
    assert data.search_dirs() == [root / "mnist", tmp_path / "user-cache" / "mnist"]


@needs_mnist
def test_a_truncated_file_is_an_error_naming_it(tmp_path):
    root = _copy(tmp_path)
    path = root / "mnist" / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:2000])
    with pytest.raises(DataError, match=r"test-labels.*t10k-labels-idx1-ubyte\.gz.*Delete it"):
        load_mnist("test", root=root, cache=tmp_path / "cache", download=False)


@needs_mnist
def test_a_truncated_uncompressed_file_is_an_error_naming_it(tmp_path):
    root = _copy(tmp_path, gz=False)
    path = root / "mnist" / "t10k-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-784])
    with pytest.raises(DataError, match=r"test-images.*wrong content.*SHA-256"):
        load_mnist("test", root=root, cache=tmp_path / "cache", download=False)


@needs_mnist
def test_a_corrupted_but_valid_gzip_is_caught_by_the_hash(tmp_path):
    root = _copy(tmp_path)
    path = root / "mnist" / "train-labels-idx1-ubyte.gz"
    content = bytearray(gzip.decompress(path.read_bytes()))
    content[100] = (content[100] + 1) % 10          # a plausible label, silently wrong
    path.write_bytes(gzip.compress(bytes(content)))
    with pytest.raises(DataError, match=r"train-labels.*expected 65a50cbb"):
        load_mnist("train", root=root, cache=tmp_path / "cache", download=False)
    assert not (tmp_path / "cache" / "mnist" / "mnist.npz").exists()


def test_missing_files_without_download_say_where_to_put_them(tmp_path):
    with pytest.raises(DataError, match=r"train-images.*not found.*LOSSBOOK_DATA"):
        load_mnist("train", root=tmp_path / "empty", cache=tmp_path / "cache", download=False)


def test_bad_split_is_rejected():
    with pytest.raises(ValueError, match="split"):
        load_mnist("validation")


# --- download, against a server on the loopback interface only -------------------------
class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def _serve(directory: Path):
    handler = functools.partial(_Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@needs_mnist
def test_download_from_a_mirror(tmp_path):
    served = _copy(tmp_path / "good") / "mnist"
    cache = tmp_path / "cache"
    with _serve(served) as url:
        images, labels = load_mnist("test", root=tmp_path / "nothing-here", cache=cache,
                                    mirrors=[url], progress=False)
    np.testing.assert_array_equal(images, _reference("test")[0])
    np.testing.assert_array_equal(labels, _reference("test")[1])
    for name in MNIST_FILES.values():
        assert (cache / "mnist" / (name + ".gz")).is_file()
    assert sorted(p.name for p in (cache / "mnist").iterdir()) == sorted(
        [n + ".gz" for n in MNIST_FILES.values()] + ["mnist.npz"]), "no partial download may be left"


@needs_mnist
def test_only_missing_files_are_downloaded(tmp_path):
    root = _copy(tmp_path / "partial", names={"train-images", "train-labels", "test-images"})
    served = _copy(tmp_path / "good") / "mnist"
    cache = tmp_path / "cache"
    with _serve(served) as url:
        _, labels = load_mnist("test", root=root, cache=cache, mirrors=[url], progress=False)
    assert labels[:3].tolist() == [7, 2, 1]
    assert sorted(p.name for p in (cache / "mnist").glob("*.gz")) == ["t10k-labels-idx1-ubyte.gz"]


@needs_mnist
def test_a_corrupted_download_is_rejected_and_the_next_mirror_used(tmp_path):
    bad = _copy(tmp_path / "bad") / "mnist"
    path = bad / "t10k-labels-idx1-ubyte.gz"
    content = bytearray(gzip.decompress(path.read_bytes()))
    content[-1] = (content[-1] + 3) % 10
    path.write_bytes(gzip.compress(bytes(content)))
    (bad / "t10k-images-idx3-ubyte.gz").write_bytes(b"<html>404 Not Found</html>")
    good = _copy(tmp_path / "good") / "mnist"
    cache = tmp_path / "cache"
    # Only the bad mirror: a clear error naming the file and the URL, and nothing left behind.
    with _serve(bad) as bad_url:
        with pytest.raises(DataError) as info:
            load_mnist("test", root=tmp_path / "none", cache=cache, mirrors=[bad_url], progress=False)
        message = str(info.value)
        assert "t10k-images-idx3-ubyte.gz" in message and bad_url in message
        assert "LOSSBOOK_DATA" in message
        assert "bad copy" in message
        assert not [p for p in (cache / "mnist").iterdir() if "t10k" in p.name], \
            "a bad download must not be kept"
        # A bad mirror first, then a good one: the good copy is used.
        data.clear_memory_cache()
        with _serve(good) as good_url:
            images, labels = load_mnist("test", root=tmp_path / "none", cache=cache,
                                        mirrors=[bad_url, good_url], progress=False)
    np.testing.assert_array_equal(labels, _reference("test")[1])
    np.testing.assert_array_equal(images, _reference("test")[0])


def test_an_unreachable_mirror_is_a_clear_error(tmp_path):
    with _serve(tmp_path) as url:
        pass  # the server is closed again: the port now refuses connections
    with pytest.raises(DataError, match=r"(?s)could not be downloaded.*127\.0\.0\.1.*LOSSBOOK_DATA"):
        load_mnist("train", root=tmp_path / "none", cache=tmp_path / "cache", mirrors=[url],
                   progress=False, timeout=5)
