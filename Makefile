# The two commands of the README: `make book` (builds the website) and `make test`.
# Each does its own set-up: a virtual environment in .venv with requirements.txt.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# Tests run on both cores; set JOBS=1 to run serially.
JOBS ?= 2

.PHONY: all venv book test bench lab clean

all: test book

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

venv: $(STAMP)

# The build executes every notebook afresh (the execution cache cannot see changes in
# lossbook/), fails on any notebook error (nb_execution_raise_on_error) and on any warning.
book: $(STAMP)
	rm -rf _build/html _build/.doctrees _build/jupyter_execute
	$(BIN)/jupyter-book build . --all -W -n --keep-going
	@echo "The book is at $(CURDIR)/_build/html/index.html"

test: $(STAMP)
	$(BIN)/python -m pytest -n $(JOBS) --durations=15 --nbmake --nbmake-timeout=900 tests lossbook chapters

# Forward + backward time of lossbook's torch path against torch (median ratio per loss).
bench: $(STAMP)
	$(BIN)/python -m lossbook.bench

lab: $(STAMP)
	$(BIN)/jupyter lab chapters/

clean:
	rm -rf _build .pytest_cache .hypothesis
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +
