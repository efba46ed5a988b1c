# The two commands of the README: `make book` (builds the website) and `make test`.
# Each does its own set-up: a virtual environment in .venv with requirements.txt.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# Tests run on both cores; set JOBS=1 to run serially.
JOBS ?= 2
# System packages (npm, chromium) are installed with apt-get when missing; sudo unless root.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all venv assets book check-site test bench lab clean

all: test book

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

venv: $(STAMP)

# Third-party browser assets (MathJax, RequireJS, the ipywidgets HTML manager), fetched with
# `npm pack` at pinned versions and checked against pinned hashes, into the git-ignored
# _build/assets (copied to _build/html/_static by Sphinx): the website loads nothing from
# another host. Needs node/npm; cached until the pins change.
ASSETS := _build/assets
assets:
	@command -v npm >/dev/null || { echo "make assets: npm is missing; installing Debian's"; \
	  $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q npm; }
	$(PYTHON) lossbook/site/assets.py $(ASSETS)

# The notebooks are executed by lossbook/site/execute.py, JOBS at a time (one kernel each),
# into the jupyter-cache _build/.jupyter_cache, keyed by their code cells and by the lossbook
# source they import: only those whose inputs changed since the last `make test` or `make book`
# run again. A notebook error stops here, with its traceback; FORCE=1 re-executes them all
# (LOSSBOOK_CACHE=off too, and it also bypasses the result cache of lossbook.cache).
EXECUTE = $(BIN)/python -m lossbook.site.execute --jobs $(JOBS) $(if $(FORCE),--force)

# The build takes every notebook's outputs from that cache (execute_notebooks: cache), fails
# on any notebook error (nb_execution_raise_on_error) and on any warning, and ends with the
# table of execution times.
book: $(STAMP) assets
	$(EXECUTE)
	rm -rf _build/html _build/.doctrees _build/jupyter_execute
	$(BIN)/jupyter-book build . --all -W -n --keep-going
	@$(BIN)/python -m lossbook.site.execute --report
	@echo "The book is at $(CURDIR)/_build/html/index.html"

# Opens every page of _build/html (run `make book` first) in headless Chromium with the network
# cut off: math rendered, images loaded, no console error, no request to another host, every
# explorer's slider changes its picture, search works. Screenshots in _build/check-site/.
# Installs Debian's chromium (and a CJK font, for the screenshots) when missing.
check-site: $(STAMP)
	@command -v chromium >/dev/null && fc-list :lang=zh | grep -q . || { \
	  echo "make check-site: installing Debian's chromium and fonts-wqy-zenhei"; \
	  $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium fonts-wqy-zenhei; }
	$(BIN)/python tests/check_site.py _build/html --chromium chromium --screenshots _build/check-site

# The notebooks first, in parallel through the same executor and cache as `make book` (so
# `make book` afterwards re-executes none); their tests (tests/test_notebooks.py) then read
# the outcome, and fail with the traceback. With LOSSBOOK_CACHE=off the tests execute them.
test: $(STAMP)
	@status=0; \
	$(if $(filter off,$(LOSSBOOK_CACHE)),,$(EXECUTE) || status=$$?;) \
	$(BIN)/python -m pytest -n $(JOBS) --durations=15 tests lossbook || status=$$?; \
	exit $$status

# Forward + backward time of lossbook's torch path against torch (median ratio per loss).
bench: $(STAMP)
	$(BIN)/python -m lossbook.bench

lab: $(STAMP)
	$(BIN)/jupyter lab chapters/

clean:
	rm -rf _build .pytest_cache .hypothesis
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +
