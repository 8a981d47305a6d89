# ketaflow: the two commands are `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export KETAFLOW_DATABASE_URL ?= sqlite:///./ketaflow.db

.PHONY: install install-dev run serve test lint typecheck layers unit fmt bench vendor clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml requirements.lock
	$(BIN)/pip install --quiet -c requirements.lock -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev]'
	touch $@

install: $(VENV)/.installed        ## the venv with the app installed

install-dev: $(VENV)/.installed-dev ## the venv with the test tools too

run: install                       ## migrate SQLite, seed the demo clinic (first run), serve on :8000
	$(BIN)/ketaflow db upgrade
	$(BIN)/ketaflow demo
	$(BIN)/ketaflow serve --host $(HOST) --port $(PORT)

lint: install-dev
	$(BIN)/ruff check src tests scripts benchmarks
	$(BIN)/ruff format --check src tests scripts benchmarks

typecheck: install-dev
	$(BIN)/mypy

layers: install-dev
	$(BIN)/lint-imports

unit: install-dev
	$(BIN)/pytest -n auto

test: lint typecheck layers unit   ## lint, types, layer contract, all tests

fmt: install-dev
	$(BIN)/ruff check --fix src tests scripts benchmarks
	$(BIN)/ruff format src tests scripts benchmarks

bench: install-dev                 ## benchmarks; each prints its figures and the ratio against its peer
	bash scripts/install_opentiva.sh $(BIN)/python
	$(BIN)/python -m benchmarks

vendor:                            ## refresh the pinned front-end files from the npm lock (needs npm)
	npm ci --ignore-scripts
	$(BIN)/python scripts/vendor_frontend.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
