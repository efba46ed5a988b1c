"""Open every page of the built website in headless Chromium, offline, and check what a reader sees.

``make check-site`` runs it after ``make book``. The site is served from ``_build/html`` on
127.0.0.1 only; Chromium resolves no other host name and sends everything else to a dead
proxy, so a page that needs the network fails here as it would for an offline reader. The
browser is driven through the Chrome DevTools Protocol (``websocket-client``; no driver
binary). For every page it asserts:

* no request to another host, no failed request, no console error or uncaught exception;
* every ``<img>`` loaded (``naturalWidth > 0``) and has alt text that is not a file name;
* no Markdown table left as text in the prose (``| --- |``);
* math rendered: every Sphinx math element holds MathJax output, no MathJax error box, and
  no raw TeX delimiters left in the prose;
* saved widgets (progress bars) drawn; no ipywidgets control outside an explorer (it would
  move but change nothing without a kernel) and no widget's text fallback;
* every explorer (``lossbook.widgets.explore``) responds: moving each of its sliders changes
  the picture, which then loads;
* every exercise solution is a closed dropdown that opens on a click;

plus, once: the search page finds a term, and each notebook page offers its ``.ipynb`` for
download. Screenshots go to ``_build/check-site/`` (look at them).

Usage: ``python tests/check_site.py [SITE_DIR] [--chromium PATH] [--screenshots DIR]``.
"""
from __future__ import annotations

import argparse
import base64
import functools
import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import websocket  # websocket-client

#: Pages screenshotted (when present), besides the first explorer page (after a slider move).
SCREENSHOTS = ("index.html", "chapters/catalog.html", "chapters/errata.html", "chapters/api.html",
               "chapters/bibliography.html")
SEARCH_TERM = "sigmoid"
REDIRECT = re.compile(r'<meta http-equiv="refresh" content="\d+;\s*url=([^"]+)"', re.I)

# Evaluated in each page once it has loaded: waits for MathJax and the images, then reports.
PAGE_REPORT_JS = r"""
(async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  // widgets saved in the notebook (progress bars...) are drawn by the HTML manager after load
  const views = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]').length;
  for (let i = 0; views && i < 50 && document.querySelectorAll('.cell_output .jupyter-widgets').length < views; i++) {
    await new Promise(r => setTimeout(r, 100));
  }
  await Promise.all(Array.from(document.images).map(img => img.decode().catch(() => null)));
  if (document.fonts && document.fonts.ready) { await document.fonts.ready; }
  const skip = 'pre, code, script, style, textarea, mjx-container, .highlight, .lossbook-explorer';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let prose = '';
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.parentElement.closest(skip)) { prose += node.textContent + '\n'; }
  }
  const tex = /\\\(|\\\)|\\\[|\\\]|\$\$|\\(frac|begin|end|sum|int|mathbb|operatorname|sigma|alpha|left|right)\b/g;
  const rawTex = Array.from(new Set(prose.match(tex) || [])).slice(0, 5);
  const mathNodes = Array.from(document.querySelectorAll('.math'));
  const unrendered = mathNodes.filter(n => !n.querySelector('mjx-container'))
                              .map(n => n.textContent.trim().slice(0, 60)).slice(0, 5);
  const images = Array.from(document.images);
  const broken = images.filter(i => !(i.complete && i.naturalWidth > 0))
                       .map(i => (i.currentSrc || i.src).slice(0, 80));
  const widgetText = Array.from(document.querySelectorAll('.output pre, .cell_output pre'))
      .map(p => p.textContent)
      .filter(t => /^\s*(interactive|VBox|HBox|Box|IntSlider|FloatSlider|Dropdown|Output|Image)\(/.test(t))
      .map(t => t.trim().slice(0, 60));
  // a control rendered from saved widget state moves but changes nothing: no kernel here
  const frozen = Array.from(document.querySelectorAll(
      '.widget-slider, .widget-dropdown, .widget-toggle-buttons, .widget-button, .widget-text, ' +
      '.widget-checkbox, .widget-select, .widget-radio'))
      .filter(n => !n.closest('.lossbook-explorer'))
      .map(n => (n.textContent || n.className).trim().slice(0, 60));
  // a Markdown table that did not become a table shows its pipes and dashes in the prose
  const pipes = /\|\s*:?-{3,}:?\s*\|/;
  const literalTables = Array.from(document.querySelectorAll('article p, article li'))
      .filter(n => !n.closest(skip) && pipes.test(n.textContent))
      .map(n => n.textContent.trim().slice(0, 60));
  // alt text says what a picture shows: not missing, not a file name or path
  const altless = images.filter(i => !i.closest('.lossbook-explorer') || !i.alt)
      .filter(i => !i.alt || !i.alt.trim() || /^[\w.\/-]+\.(png|svg|jpe?g|gif)$/i.test(i.alt.trim())
                   || /^_images\//.test(i.alt.trim()))
      .map(i => (i.currentSrc || i.src).split('/').pop().slice(0, 60));
  return {
    title: document.title, frozen, literalTables, altless,
    widgets: document.querySelectorAll('.jupyter-widgets').length, views,
    math: mathNodes.length,
    mathjax: document.querySelectorAll('mjx-container').length,
    unrendered, rawTex,
    mathErrors: document.querySelectorAll('mjx-merror').length,
    images: images.length, broken, widgetText,
    explorers: document.querySelectorAll('.lossbook-explorer').length,
    downloads: Array.from(document.querySelectorAll('a[href]'))
        .map(a => a.getAttribute('href')).filter(h => /_sources\/.*\.ipynb$/.test(h)),
  };
})()
"""

# Moves every slider of every explorer to another position; reports whether the image changed.
EXPLORER_JS = r"""
(async () => {
  const out = [];
  for (const root of document.querySelectorAll('.lossbook-explorer')) {
    const img = root.querySelector('img');
    for (const input of root.querySelectorAll('input[type=range]')) {
      const before = img.src, start = input.value;
      input.value = (+input.value === +input.max) ? input.min : input.max;
      input.dispatchEvent(new Event('input', {bubbles: true}));
      await img.decode().catch(() => null);
      out.push({name: root.dataset.name, slider: input.getAttribute('aria-label'),
                changed: img.src !== before, loaded: img.complete && img.naturalWidth > 0,
                label: input.nextElementSibling.textContent});
      if (root === document.querySelector('.lossbook-explorer') && input === root.querySelector('input')) {
        root.scrollIntoView();
      } else {
        input.value = start;
        input.dispatchEvent(new Event('input', {bubbles: true}));
      }
    }
  }
  return out;
})()
"""

# Exercise solutions (sphinx-exercise) must be hidden dropdowns that open on a click.
SOLUTIONS_JS = r"""
(async () => {
  const shown = el => Array.from(el.children).some(c => !c.classList.contains('admonition-title')
                                                       && !c.matches('button') && c.offsetHeight > 0);
  const out = [];
  for (const sol of document.querySelectorAll('.solution')) {
    const before = shown(sol);
    const button = sol.querySelector('button.toggle-button') || sol.querySelector('.admonition-title');
    if (button) { button.click(); await new Promise(r => setTimeout(r, 50)); }
    out.push({id: sol.id, dropdown: sol.classList.contains('dropdown'), hidden: !before, opens: shown(sol)});
  }
  return out;
})()
"""

SEARCH_JS = r"""
(async () => {
  for (let i = 0; i < 100; i++) {
    const results = document.querySelectorAll('#search-results li, ul.search li');
    if (results.length) {
      return Array.from(results).map(li => li.querySelector('a').getAttribute('href'));
    }
    await new Promise(r => setTimeout(r, 100));
  }
  return [];
})()
"""


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(root: Path):
    handler = functools.partial(Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """Headless Chromium with the network cut off, driven over the DevTools protocol."""

    def __init__(self, binary: str):
        self.profile = tempfile.mkdtemp(prefix="check-site-chromium-")
        port = free_port()
        flags = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--no-default-browser-check", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-extensions",
            "--disable-default-apps", "--disable-domain-reliability", "--metrics-recording-only",
            "--hide-scrollbars", "--window-size=1280,900", "--force-device-scale-factor=1",
            # offline: no name resolves but 127.0.0.1, and anything else goes to a dead proxy
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--proxy-server=127.0.0.1:9",  # loopback bypasses proxies implicitly
            f"--user-data-dir={self.profile}", f"--remote-debugging-port={port}",
            "--remote-debugging-address=127.0.0.1", "about:blank",
        ]
        self.process = subprocess.Popen([binary, *flags], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        self.ws = None
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=2) as r:
                    targets = [t for t in json.load(r) if t.get("type") == "page"]
                if targets:
                    self.ws = websocket.create_connection(targets[0]["webSocketDebuggerUrl"],
                                                          timeout=60, suppress_origin=True)
                    break
            except OSError:
                pass
            time.sleep(0.2)
        if self.ws is None:
            self.close()
            raise RuntimeError(f"Chromium ({binary}) did not open its DevTools port")
        self.next_id = 0
        self.events = []
        for domain in ("Page", "Network", "Runtime", "Log"):
            self.call(f"{domain}.enable")
        self.call("Network.setCacheDisabled", cacheDisabled=True)

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)

    def wait_for(self, event, timeout=60):
        deadline = time.time() + timeout
        for i, message in enumerate(self.events):
            if message["method"] == event:
                del self.events[i]
                return message
        for message in self._receive(deadline, 0.1):
            if "method" in message:
                if message["method"] == event:
                    return message
                self.events.append(message)
        raise TimeoutError(f"no {event} within {timeout} s")

    def _receive(self, deadline, min_wait):
        """The messages that arrive before ``deadline`` (the socket timeout is restored)."""
        while time.time() < deadline:
            self.ws.settimeout(max(min_wait, deadline - time.time()))
            try:
                message = json.loads(self.ws.recv())
            except websocket.WebSocketTimeoutException:
                return
            finally:
                self.ws.settimeout(60)
            yield message

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, awaitPromise=True,
                           returnByValue=True, timeout=60000)
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def goto(self, url):
        self.events.clear()
        self.call("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")

    def drain(self, seconds=0.3):
        """Collect the events that arrive in the next ``seconds`` (late requests, errors)."""
        for message in self._receive(time.time() + seconds, 0.05):
            if "method" in message:
                self.events.append(message)
        events, self.events = self.events, []
        return events

    def screenshot(self, path: Path, full_page=True):
        if full_page:  # a window as tall as the page (at most 6000 px), so the layout holds
            metrics = self.call("Page.getLayoutMetrics")
            size = metrics.get("cssContentSize") or metrics["contentSize"]
            height = max(900, min(int(size["height"]), 6000))
            self.call("Emulation.setDeviceMetricsOverride", width=1280, height=height,
                      deviceScaleFactor=1, mobile=False)
            self.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        try:
            data = self.call("Page.captureScreenshot", format="png")["data"]
        finally:
            if full_page:
                self.call("Emulation.clearDeviceMetricsOverride")
        path.write_bytes(base64.b64decode(data))

    def close(self):
        try:
            if self.ws is not None:
                self.ws.close()
        finally:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            shutil.rmtree(self.profile, ignore_errors=True)


def problems_in(events, origin):
    """Requests to other hosts, failed requests, console errors and exceptions, from CDP events."""
    found = []
    requests = {}
    for e in events:
        method, params = e["method"], e.get("params", {})
        if method == "Network.requestWillBeSent":
            url = params["request"]["url"]
            requests[params["requestId"]] = url
            scheme = urlsplit(url).scheme
            if scheme in ("http", "https", "ws", "wss") and not url.startswith(origin):
                found.append(f"request to another host: {url}")
        elif method == "Network.loadingFailed":
            url = requests.get(params["requestId"], "?")
            if not params.get("canceled"):
                found.append(f"request failed ({params.get('errorText')}): {url}")
        elif method == "Network.responseReceived":
            status = params["response"]["status"]
            if status >= 400 and not params["response"]["url"].endswith("/favicon.ico"):
                found.append(f"HTTP {status}: {params['response']['url']}")
        elif method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
            found.append(f"console.{params['type']}: {text[:200]}")
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            found.append(f"uncaught exception: {str(text)[:200]}")
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            entry = params["entry"]
            if not entry.get("url", "").endswith("/favicon.ico"):
                found.append(f"browser log error: {entry['text'][:200]} {entry.get('url', '')}")
    return found


def find_chromium(explicit=None):
    for candidate in (explicit, os.environ.get("CHROMIUM"), "chromium", "chromium-browser",
                      "google-chrome", "google-chrome-stable"):
        if candidate and shutil.which(candidate):
            return shutil.which(candidate)
    sys.exit("check-site: no Chromium found (Debian: apt-get install -y chromium)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", nargs="?", default="_build/html")
    parser.add_argument("--chromium", default=None)
    parser.add_argument("--screenshots", default="_build/check-site")
    args = parser.parse_args(argv)
    site = Path(args.site)
    if not (site / "index.html").exists():
        sys.exit(f"check-site: {site}/index.html not found; run `make book` first")
    shots = Path(args.screenshots)
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")
                   if not p.relative_to(site).parts[0].startswith(("_static", "_sources", "_images")))
    server = serve(site)
    origin = f"http://127.0.0.1:{server.server_address[1]}/"
    browser = Browser(find_chromium(args.chromium))
    failures, totals = [], {"pages": 0, "images": 0, "math": 0, "explorers": 0, "sliders": 0,
                            "solutions": 0}
    explorer_shot = False
    start = time.time()
    try:
        for page in pages:
            browser.goto(origin + page)
            redirect = REDIRECT.search((site / page).read_text(encoding="utf-8", errors="replace"))
            if redirect:  # e.g. the root index.html: check the page it leads to, once loaded
                browser.wait_for("Page.loadEventFired")
            report = browser.evaluate(PAGE_REPORT_JS)
            moves = browser.evaluate(EXPLORER_JS) if report["explorers"] else []
            solutions = browser.evaluate(SOLUTIONS_JS)
            issues = problems_in(browser.drain(), origin)
            issues += [f"math not rendered: {t!r}" for t in report["unrendered"]]
            issues += [f"raw TeX in the text: {t!r}" for t in report["rawTex"]]
            if report["mathErrors"]:
                issues.append(f"{report['mathErrors']} MathJax error(s) (mjx-merror)")
            issues += [f"image did not load: {src}" for src in report["broken"]]
            issues += [f"Markdown table left as text (escape its cells or use a real table): {t!r}"
                       for t in report["literalTables"]]
            issues += [f"image without alt text (or a file name as alt text): {src}"
                       for src in report["altless"]]
            issues += [f"ipywidgets shown as text (no kernel on the website): {t!r}" for t in report["widgetText"]]
            issues += [f"widget control that needs a kernel (use lossbook.widgets.explore): {t!r}"
                       for t in report["frozen"]]
            if report["views"] and not report["widgets"]:
                issues.append(f"{report['views']} saved widget(s) not drawn")
            for m in moves:
                if not (m["changed"] and m["loaded"]):
                    issues.append(f"explorer {m['name']}: slider {m['slider']} did not change the picture")
            for sol in solutions:
                if not (sol["dropdown"] and sol["hidden"] and sol["opens"]):
                    issues.append(f"solution {sol['id']} is not a closed dropdown that opens on a click "
                                  f"(use :class: dropdown)")
            for href in report["downloads"]:
                url = urllib.request.urljoin(origin + page, href)
                with urllib.request.urlopen(url, timeout=10) as r:
                    json.load(r)  # a notebook
            if page.endswith(".html") and (site / "_sources" / page.replace(".html", ".ipynb")).exists() \
                    and not report["downloads"]:
                issues.append("no .ipynb download link")
            totals["pages"] += 1
            totals["images"] += report["images"]
            totals["math"] += report["math"]
            totals["explorers"] += report["explorers"]
            totals["sliders"] += len(moves)
            totals["solutions"] += len(solutions)
            if moves and not explorer_shot:
                browser.screenshot(shots / "explorer-after-slider-move.png", full_page=False)
                explorer_shot = True
            if page in SCREENSHOTS:
                browser.screenshot(shots / (page.replace("/", "_").replace(".html", ".png")))
            status = "ok" if not issues else "FAIL"
            if redirect:
                page = f"{page} -> {redirect.group(1)}"
            print(f"{status:4} {page}: {report['images']} images, {report['math']} math "
                  f"({report['mathjax']} MathJax), {report['explorers']} explorers, {len(solutions)} solutions")
            for issue in issues:
                print(f"       {issue}")
            failures += [f"{page}: {issue}" for issue in issues]

        browser.goto(origin + f"search.html?q={SEARCH_TERM}")
        hits = browser.evaluate(SEARCH_JS)
        issues = problems_in(browser.drain(), origin)
        if not hits:
            issues.append(f"search for {SEARCH_TERM!r} found nothing")
        browser.screenshot(shots / "search.png", full_page=False)
        print(f"{'ok' if not issues else 'FAIL':4} search {SEARCH_TERM!r}: {len(hits)} results")
        failures += [f"search: {issue}" for issue in issues]
    finally:
        browser.close()
        server.shutdown()
    print(f"\ncheck-site: {totals['pages']} pages, {totals['images']} images, {totals['math']} math "
          f"elements, {totals['explorers']} explorers ({totals['sliders']} sliders moved), "
          f"{totals['solutions']} exercise solutions in "
          f"{time.time() - start:.0f} s; screenshots in {shots}/")
    if failures:
        print(f"check-site: {len(failures)} problem(s)")
        return 1
    print("check-site: all pages passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
