# The platform's commands. `make run` and `make test` each set up everything they need first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
# The dashboard's port: make run PORT=8502
PORT ?= 8501
# pytest workers for make test: three pytest-xdist workers on the 2-core machines. With two,
# both cores sat idle a fifth of the time on a quiet machine (browser tests wait for pages,
# waits for processes): pytest took 548 s with two and 497 s with three, and as long either way
# when the machine is busy (docs/benchmarks.md). tests/conftest.py keeps a file's tests and each
# shared build on one worker, and gives each worker its own dbt target folder;
# make test TEST_WORKERS=1 runs one process
TEST_WORKERS ?= 3
PYTEST_PARALLEL := $(if $(filter 1,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadgroup --no-loadscope-reorder)
export UV_PYTHON_PREFERENCE := only-system
export UV_PROJECT_ENVIRONMENT := $(VENV)
# Compiled bytecode beside every installed module: uv does not write it by default, and where
# PYTHONDONTWRITEBYTECODE is set (as on these machines) every process would otherwise compile
# Dagster, dbt and pandas from source again (imports took 8.7 s instead of 4-6 s).
export UV_COMPILE_BYTECODE := 1
# The platform's own packages (pyproject.toml's import-linter list), compiled by `make setup` too
# (78 ms when nothing changed).
PACKAGES = $(shell $(PY) -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["tool"]["importlinter"]["root_packages"])')
export GX_ANALYTICS_ENABLED := False
export DAGSTER_DISABLE_TELEMETRY := 1
export DO_NOT_TRACK := 1

.PHONY: help setup system-deps run pipeline dashboard dagster test test-fast test-seconds test-cpu lint format contract seeds i18n bench bench-quick docs clean

help: ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"

$(VENV)/.synced: $(UV) pyproject.toml uv.lock Makefile
	$(UV) sync --locked --all-groups
	@touch $@

setup: $(VENV)/.synced ## Create .venv from the lock file
	@$(PY) -m compileall -q -j 0 $(PACKAGES) > /dev/null

system-deps: ## Debian packages the browser tests need (chromium)
	@if [ -x /usr/bin/chromium ]; then echo "chromium present"; \
	elif [ "$$(id -u)" = "0" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else echo "chromium missing: run 'sudo apt-get install chromium' (browser tests will be skipped)"; fi

run: setup ## Sample data through the whole pipeline, then the dashboard on http://localhost:$(PORT) (make run PORT=8502)
	$(VENV)/bin/pidc run --port $(PORT)

pipeline: setup ## Ingest landing, build and test the warehouse, publish (no dashboard)
	$(VENV)/bin/pidc pipeline

dashboard: setup ## Start the dashboard on the published data (make dashboard PORT=8502)
	$(VENV)/bin/pidc dashboard --port $(PORT)

dagster: setup ## Start the Dagster UI (dagster dev) on http://localhost:3000
	PIDC_HOME=$${PIDC_HOME:-.home} $(PY) -m orchestration.instance
	DAGSTER_HOME=$$(realpath $${PIDC_HOME:-.home})/dagster $(VENV)/bin/dagster dev -m orchestration.definitions

test: setup system-deps lint ## Everything CI runs: lint, pytest (incl. dbt build and browser tests)
	$(VENV)/bin/pytest $(PYTEST_PARALLEL)

test-fast: setup ## pytest without the slow end-to-end and browser tests
	$(VENV)/bin/pytest $(PYTEST_PARALLEL) -m "not slow and not browser"

test-seconds: setup ## pytest, recording each test file's seconds: the order make test hands files to its workers
	$(VENV)/bin/pytest $(PYTEST_PARALLEL) --record-test-seconds=tests/support/test_seconds.json

test-cpu: setup ## pytest, recording each test file's processor seconds (its worker's and its processes') into artifacts/test-cpu.json: where make test's time goes
	@mkdir -p artifacts
	$(VENV)/bin/pytest $(PYTEST_PARALLEL) --record-test-cpu=artifacts/test-cpu.json

lint: setup ## ruff, import-linter (the layers), sqlfluff, the dbt DAG's one-way rules
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	@# sqlfluff's dbt templater renders every file in the main process; the rules then run in
	@# one process per core (--processes 0): 44 s -> 28 s on the 2-core machines
	@# Its own dbt target folder, as the parse below: sqlfluff's dbt templater parses the project
	@# for lint's throwaway home, which must not become the pipeline's partial-parsing state
	cd dbt_project && PIDC_HOME=$${PIDC_HOME:-$$(mktemp -d)} DBT_TARGET_PATH=target/lint-sqlfluff ../$(VENV)/bin/sqlfluff lint models tests --processes 0
	@# A folder of its own: a parse for lint's throwaway home must not become the pipeline's
	@# partial-parsing state (dbt would then parse everything again at the next build)
	cd dbt_project && PIDC_HOME=$${PIDC_HOME:-$$(mktemp -d)} ../$(VENV)/bin/dbt parse --quiet --project-dir . --profiles-dir . --target-path target/lint && ../$(VENV)/bin/python scripts/check_dag.py target/lint/manifest.json

format: setup ## Fix what ruff and sqlfluff can fix
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

contract: setup ## Regenerate seeds, dbt YAML/macros and docs that come from the data contract
	$(VENV)/bin/pidc contract
	$(PY) dbt_project/scripts/generate_staging_yaml.py
	$(PY) dbt_project/scripts/generate_dataset_models.py
	$(VENV)/bin/pidc layout reference --write docs/layouts.md

i18n: setup ## Extract the texts to translate and update the French catalog (then translate what is empty or fuzzy)
	$(VENV)/bin/pybabel extract -F babel.cfg -o pidc/locale/messages.pot --project="PIDC platform" --no-wrap .
	$(VENV)/bin/pybabel update -i pidc/locale/messages.pot -d pidc/locale -l fr --no-wrap

seeds: setup ## Regenerate the reference seeds
	$(PY) -m pidc.reference.build_seeds

bench: setup ## Full benchmark run; writes docs/benchmarks.md
	$(PY) -m bench.run

bench-quick: setup ## Smoke-size benchmark (under a minute)
	$(PY) -m bench.run --quick

docs: setup ## dbt docs (catalog and lineage) into $PIDC_HOME/dbt-docs
	$(PY) -m orchestration.dbt_docs

clean: ## Remove the virtual environment and runtime files
	rm -rf $(VENV) $(TOOLS) .home dbt_project/target dbt_project/logs
