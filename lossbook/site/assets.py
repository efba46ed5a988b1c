"""Fetch the website's third-party browser assets from the npm registry (run by ``make assets``).

The book must work offline (and where jsdelivr/cdnjs are unreliable), so no page may load a
script, style or font from another host. Sphinx/myst-nb default to CDNs for MathJax, RequireJS
and the ipywidgets HTML manager; ``_config.yml`` points them at ``_static/`` instead, and this
script puts the files there: it runs ``npm pack`` for pinned versions, checks each tarball
against its pinned SHA-512 (the registry's ``dist.integrity``), and unpacks only what the
pages use into ``_build/assets/`` (git-ignored; ``html_static_path`` copies it to
``_build/html/_static/``). Nothing third-party is committed. Standard library only, so it runs
before the virtual environment exists.

Usage: ``python3 lossbook/site/assets.py [DEST]`` (default ``_build/assets``; ``make assets``
runs it so, with the system Python), or ``python -m lossbook.site.assets [DEST]`` where the
package's dependencies are installed. It does nothing when DEST already holds the pinned
versions.
"""
from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

#: npm package -> (pinned version, dist.integrity, [(path in the package, path under DEST)]).
#: A path ending in "/" copies a directory; "*.ext" patterns copy matching files.
PACKAGES = {
    # MathJax 3: the combined TeX+MathML->CommonHTML component, plus the components it loads
    # on demand (TeX extensions, fonts, menu, accessibility), so the whole es5/ tree.
    "mathjax": ("3.2.2",
                "sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw==",
                [("es5/", "mathjax/"), ("LICENSE", "mathjax/LICENSE")]),
    # RequireJS, which the ipywidgets embed manager needs (myst-nb loads both on pages that
    # hold widget state).
    "requirejs": ("2.3.8",
                  "sha512-7/cTSLOdYkNBNJcDMWf+luFvMriVm7eYxp4BcFCsAX0wF421Vyce5SXP17c+Jd5otXKGNehIonFlyQXSowL6Mw==",
                  [("require.js", "ipywidgets/require.js")]),
    # The ipywidgets 8 HTML manager (renders saved widget state without a kernel), with the
    # font files its bundled CSS refers to.
    "@jupyter-widgets/html-manager": (
        "1.0.7",
        "sha512-2xGwS7vVd2RGlKMiSqj1vYv2X59V73ygefUodhzy9Bho0mswWT/yo3Cg7MaYOqwozQjNo5k3rbJ3cETXWUwJ/g==",
        [("dist/embed-amd.js", "ipywidgets/embed-amd.js"), ("LICENSE", "ipywidgets/LICENSE")]
        + [(f"dist/*.{ext}", "ipywidgets/") for ext in ("woff2", "woff", "ttf", "eot", "svg")]),
}

STAMP = ".assets.json"


def integrity(path: Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def pinned() -> dict:
    return {name: version for name, (version, _, _) in PACKAGES.items()}


def fetch(dest: Path) -> None:
    stamp = dest / STAMP
    if stamp.exists() and json.loads(stamp.read_text()) == pinned():
        print(f"fetch_assets: {dest} is up to date")
        return
    if shutil.which("npm") is None:
        sys.exit("fetch_assets: npm is needed to fetch MathJax and the widget manager "
                 "(Debian: apt-get install -y npm)")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        specs = [f"{name}@{version}" for name, (version, _, _) in PACKAGES.items()]
        out = subprocess.run(["npm", "pack", "--json", "--silent", *specs], cwd=tmp, check=True,
                             capture_output=True, text=True).stdout
        packed = {item["name"]: tmp / item["filename"] for item in json.loads(out)}
        staging = tmp / "assets"
        for name, (version, expected, copies) in PACKAGES.items():
            tarball = packed[name]
            got = integrity(tarball)
            if got != expected:
                sys.exit(f"fetch_assets: {name}@{version}: integrity {got} is not the pinned {expected}")
            unpacked = tmp / "unpacked" / name
            with tarfile.open(tarball) as tar:
                tar.extractall(unpacked, filter="data")
            root = unpacked / "package"
            for source, target in copies:
                _copy(root, source, staging / target)
        if dest.exists():
            shutil.rmtree(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(staging, dest)
    stamp.write_text(json.dumps(pinned(), indent=1) + "\n")
    files = sum(1 for p in dest.rglob("*") if p.is_file())
    print(f"fetch_assets: {', '.join(f'{n}@{v}' for n, v in pinned().items())} -> {dest} ({files} files)")


def _copy(root: Path, source: str, target: Path) -> None:
    if "*" in source:
        matches = sorted(root.glob(source))
        if not matches:
            sys.exit(f"fetch_assets: nothing matches {source} in {root}")
        target.mkdir(parents=True, exist_ok=True)
        for path in matches:
            shutil.copy2(path, target / path.name)
    elif source.endswith("/"):
        shutil.copytree(root / source, target, ignore=shutil.ignore_patterns("*.map"))
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / source, target)


if __name__ == "__main__":
    fetch(Path(sys.argv[1] if len(sys.argv) > 1 else "_build/assets"))
