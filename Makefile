# uptake — `make demo` and `make test` work on a fresh machine (Python >= 3.11, Java 17 for Spark).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
EXTRAS ?= dev,spark

.PHONY: install demo test lint bench bench-full bench-ingest clean

$(STAMP): pyproject.toml constraints.txt
	$(PY) -c 'import sys; assert sys.version_info >= (3, 11), "uptake needs Python >= 3.11"'
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip>=24"
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[$(EXTRAS)]"
	touch $(STAMP)

install: $(STAMP)

# The demo: a server home in demo/ with one project, its KPI report, then the dashboard.
DEMO_PASSWORD ?= uptake-demo
DEMO_PORT ?= 8000
demo: install
	$(BIN)/uptake demo demo/projects/demo --size small --force
	$(BIN)/uptake -w demo/projects/demo report
	printf '%s\n' '$(DEMO_PASSWORD)' | $(BIN)/uptake users create demo --home demo --password-stdin --force
	@echo "Dashboard: http://127.0.0.1:$(DEMO_PORT)  (log in as demo / $(DEMO_PASSWORD); Ctrl+C stops)"
	$(BIN)/uptake serve --home demo --port $(DEMO_PORT)

test: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

bench: install
	$(BIN)/python -m benchmarks.kpis --sizes 1000000,10000000

bench-full: install
	$(BIN)/python -m benchmarks.kpis --sizes 1000000,10000000,100000000

# Tracking API throughput, latency and memory; --soak-seconds 600 for the 10-minute soak.
bench-ingest: install
	$(BIN)/python -m benchmarks.ingest

clean:
	rm -rf $(VENV) demo bench-data test-output .pytest_cache .mypy_cache .ruff_cache
