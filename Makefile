# Two commands: `make run` serves the app with demo data, `make test` runs every check.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# The interpreter itself, not a launcher in front of it (pyenv's shims): given a launcher, uv
# takes the environment for another interpreter's and builds it again on every command.
PYTHON_COMMAND := $(shell command -v python3.13 || command -v python3.12 || command -v python3)
PYTHON ?= $(shell $(PYTHON_COMMAND) -c 'import sys; print(sys.executable)' 2>/dev/null || echo $(PYTHON_COMMAND))
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
BIN := .venv/bin
PORT ?= 8000
export UV_PYTHON_DOWNLOADS := never
export UV_NO_PROGRESS := 1
# Compiled once at install: a command then starts without compiling every module it imports
# (which takes seconds where bytecode is not written on the fly, PYTHONDONTWRITEBYTECODE).
export UV_COMPILE_BYTECODE := 1

.PHONY: help install run test lint types audit pytest browser-deps clean bench bench-load bench-peer

help:
	@echo "make run    install, migrate, load demo data and serve on http://127.0.0.1:8000 (PORT=8001 for another port)"
	@echo "make test   install, then lint, types, dependency audit and tests (DATABASE_URL selects the database)"

$(UV):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "Reciprocity needs Python 3.12 or newer; found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"

install: $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	$(BIN)/python -m compileall -q src

run: install
	$(BIN)/reciprocity migrate --noinput
	$(BIN)/reciprocity collectstatic --noinput --verbosity 0
	$(BIN)/reciprocity demo --if-empty
	$(BIN)/reciprocity serve --port $(PORT) --with-worker

lint: install
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/lint-imports
	$(BIN)/reciprocity makemigrations --check --dry-run

types: install
	$(BIN)/mypy

# Known vulnerabilities in the locked dependencies, from PyPI's vulnerability data (the network
# is needed). A finding fails the run: bump the package (uv lock --upgrade-package NAME).
audit: install
	$(UV) export --frozen --no-hashes --no-emit-project --quiet --output-file $(TOOLS)/requirements-audit.txt
	$(BIN)/pip-audit --progress-spinner off --no-deps --disable-pip --requirement $(TOOLS)/requirements-audit.txt

# The browser tests drive Debian's Chromium; it is installed here when missing, never downloaded
# by Playwright.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else \
	    echo "chromium is missing and cannot be installed here: browser tests will be skipped"; \
	  fi; }

# The suite runs on PYTEST_WORKERS processes (pytest-xdist; one test module per process at a
# time, so a module's fixtures stay together), then the tests marked serial in one process:
# schemathesis makes a test of each API operation only there. A selection in PYTEST_ARGS runs
# in the first step alone. pytest exits 5 when a selection ran no test; that is not a failure.
PYTEST_WORKERS ?= 2
pytest: install browser-deps
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile -m "not serial" $(PYTEST_ARGS) || test $$? -eq 5
	@if [ -z '$(PYTEST_ARGS)' ]; then $(BIN)/pytest -m serial || test $$? -eq 5; fi

test: lint types audit pytest

# The performance suite (bench/README.md): fresh databases per size, generated, measured; the
# results go to bench/results/ and the table to bench/README.md. Not part of `make test`.
BENCH_SIZES ?= solo,bigbook
BENCH_DATABASES ?= sqlite,postgresql
bench: install
	$(BIN)/python bench/run.py --sizes $(BENCH_SIZES) --databases $(BENCH_DATABASES)

# The load test: 16 clients for 60 s against `reciprocity serve` (4 workers) on PostgreSQL.
bench-load: install
	$(BIN)/python bench/load.py

# The peer: BottleCRM (PyPI django-crm) in its own environment and database, against our big book.
bench-peer: install
	$(BIN)/python bench/peer.py

clean:
	rm -rf $(TOOLS) .venv .mypy_cache .pytest_cache .ruff_cache
