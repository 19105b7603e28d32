# EWS: `make run` starts the service on SQLite with the reference data; `make test` passes the tests.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test test-fast lint format bench demo screenshots clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# DEMO=0 skips the synthetic demo data (clearly marked "sintético"; `ews demo` is idempotent).
DEMO ?= 1

run: install
	$(BIN)/ews init
	if [ "$(DEMO)" != "0" ]; then $(BIN)/ews demo; fi
	$(BIN)/ews serve --host $(HOST) --port $(PORT)

demo: install
	$(BIN)/ews init
	$(BIN)/ews demo

# Every test: tests/core (pure), tests/api, tests/db, tests/processes and tests/browser.
test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The pure core and the API on SQLite, no browser and no process of its own: under a minute.
test-fast: install
	$(BIN)/python -m pytest tests/core tests/api -m "not postgres and not browser" $(PYTEST_ARGS)

# The browser tests, then their screenshots (test-artifacts/) copied to docs/screenshots/.
screenshots: install
	EWS_REQUIRE_BROWSER=1 $(BIN)/python -m pytest -m browser -k sqlite $(PYTEST_ARGS)
	cp test-artifacts/dashboard-*.png test-artifacts/report-offline.png test-artifacts/report-sent.png docs/screenshots/

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
