# legisflow — `make demo` and `make test` bootstrap .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
BYTECODE := $(VENV)/.bytecode

.PHONY: demo test lint typecheck unit install install-dev bytecode dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@ $(STAMP)

install: $(STAMP)
install-dev: $(DEV_STAMP)

## Compile the code to bytecode, so Temporal's sandbox loads workflows/ for each new case
## rather than compiling it (PYTHONDONTWRITEBYTECODE stops Python writing it on import).
SOURCES := $(shell find workflows models activities -name '*.py')
$(BYTECODE): $(SOURCES) | $(BIN)/python
	$(BIN)/python -m compileall -q workflows models activities
	@touch $@

bytecode: $(BYTECODE)

## Run one provincial decision from first draft to entry into force on a local server.
demo: $(STAMP) $(BYTECODE)
	$(BIN)/legisflow demo

## Local dev server (SQLite under .legisflow/, UI on :8233) and a worker.
dev: $(STAMP) $(BYTECODE)
	$(BIN)/legisflow dev

## The tests' OpenID Connect provider (npm's oidc-provider, run on loopback by the tests).
OIDC_MODULES := tests/oidc/node_modules/.installed
$(OIDC_MODULES): tests/oidc/package-lock.json
	cd tests/oidc && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

## The accessibility audit the browser tests inject into the pages (npm's axe-core).
AXE_MODULES := tests/web/axe/node_modules/.installed
$(AXE_MODULES): tests/web/axe/package-lock.json
	cd tests/web/axe && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

## Lint, type-check and the whole test suite against real Temporal servers.
test: $(DEV_STAMP) $(BYTECODE) $(OIDC_MODULES) $(AXE_MODULES) lint typecheck
	$(BIN)/python -m pytest -q

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(DEV_STAMP)
	$(BIN)/mypy .

unit: $(DEV_STAMP)
	$(BIN)/python -m pytest -q tests/unit

clean:
	rm -rf $(VENV) tests/oidc/node_modules tests/web/axe/node_modules .legisflow .mypy_cache .ruff_cache .pytest_cache *.egg-info
