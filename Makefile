# odata: the two commands are `make demo` and `make test`; both set up everything they need.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Debian packages the tests and the demo need (installed with apt-get when missing).
APT_PACKAGES := chromium fonts-dejavu-core fonts-wqy-microhei
PYTEST_ARGS ?=
# the live briefs' front end, built with npm from frontend/ (not in git)
FRONTEND := src/odata/briefs/template/static/odata-live.js
FRONTEND_SOURCES := frontend/package.json frontend/package-lock.json frontend/tsconfig.json \
	$(wildcard frontend/src/*.ts)

.PHONY: help setup demo demo-down portal-down test test-fast lint docs bench refdata lock portal-lock clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	tools/apt-ensure $(APT_PACKAGES)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

$(FRONTEND): $(FRONTEND_SOURCES)
	command -v npm >/dev/null || tools/apt-ensure nodejs npm
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	cd frontend && npm run --silent check && npm run --silent build
	touch $(FRONTEND)

setup: $(STAMP) $(FRONTEND)  ## Create .venv, install odata with pinned dependencies, build the front end

demo: setup  ## Run the main job on demo data (grows with each stage)
	$(BIN)/odata validate
	$(BIN)/odata sources generate --seed 1
	$(BIN)/odata sources check
	$(BIN)/odata build --create-key --if-new
	$(BIN)/odata report
	$(BIN)/odata portal up
	$(BIN)/odata publish
	$(BIN)/odata briefs serve --background
	@echo "demo: release built, audited, validated, its report written, all published"
	@echo "      (http://127.0.0.1:5050);"
	@echo "      briefs served at the URLs above (index: http://127.0.0.1:8866/)."
	@echo "      Stop them with 'make demo-down'."

demo-down:  ## Stop the demo's briefs server and local portal (only what the demo started)
	$(BIN)/odata briefs stop
	$(BIN)/odata portal down

portal-down:  ## Stop the demo's local portal (only what `odata portal up` started)
	$(BIN)/odata portal down

test: setup lint docs  ## Run every test tier (unit, integration, browser) after lint and doc checks
	$(BIN)/pytest $(PYTEST_ARGS)

test-fast: setup  ## Run the unit tests only
	$(BIN)/pytest tests/unit -m "not slow" $(PYTEST_ARGS)

lint: setup  ## ruff and mypy
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

docs: setup  ## Check that docs/cli.md matches the real --help output
	$(BIN)/cog --check docs/cli.md

bench: setup  ## Print speed figures and ratios against the measured anchors (a few minutes)
	$(BIN)/python bench/run.py
	$(BIN)/python bench/sources_generate.py
	$(BIN)/python bench/ingest.py --full
	$(BIN)/python bench/audit.py
	$(BIN)/python bench/build.py --full
	$(BIN)/python bench/validate.py --full
	$(BIN)/python bench/publish.py
	$(BIN)/python bench/briefs.py
	$(BIN)/python bench/report.py

refdata: setup  ## Regenerate the committed code lists from their registry packages
	$(BIN)/python -m odata.reference.build

lock: setup  ## Re-pin every dependency into constraints.txt after changing pyproject.toml
	$(BIN)/python -m pip freeze --exclude-editable --disable-pip-version-check | grep -v '^odata' > constraints.txt

portal-lock:  ## Re-pin the portal venv's packages into portal/constraints.txt
	.portal/venv/bin/python -m pip freeze --exclude-editable --disable-pip-version-check > portal/constraints.txt

clean:  ## Remove the venv, caches and built releases (never the private state in .odata/)
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache frontend/node_modules \
		src/odata/briefs/template/static
