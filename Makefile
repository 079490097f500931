# secure-stack: `make demo` bakes and runs a default project, `make test` runs every test.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := $(CURDIR)/.venv
CACHE := $(CURDIR)/.cache
# `make demo DEMO_DIR=... DEMO_BACKEND_PORT=... DEMO_FRONTEND_PORT=... DEMO_VENV=...` moves the
# demo elsewhere (the template's smoke test of this target does, to stay off :8000 and :3000).
DEMO_DIR ?= $(CURDIR)/build/demo
DEMO_PROJECT := $(DEMO_DIR)/secure_stack_app
DEMO_VENV ?= $(DEMO_PROJECT)/.venv
DEMO_PORTS := $(if $(DEMO_BACKEND_PORT),BACKEND_PORT=$(DEMO_BACKEND_PORT)) $(if $(DEMO_FRONTEND_PORT),FRONTEND_PORT=$(DEMO_FRONTEND_PORT))
PYTEST_WORKERS ?= 2
BENCH_ARGS ?=
export npm_config_cache := $(CACHE)/npm

.PHONY: help install demo test lint lock client bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed; $(PYTHON) is " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(VENV)/bin/python -m pip install --disable-pip-version-check --quiet -e '.[test]'
	@touch $@

install: $(VENV)/.installed ## install the template's test tools into .venv

# A re-bake with -f keeps the secret and the installs (their stamps are keyed by content), so a
# second run only re-renders the files.
demo: install ## bake the default project into build/demo, run it with a demo account (Ctrl-C stops)
	@mkdir -p $(DEMO_DIR)
	@$(VENV)/bin/cookiecutter $(CURDIR) --no-input -f -o $(DEMO_DIR) >/dev/null
	@echo "baked $(DEMO_PROJECT)"
	@$(MAKE) --no-print-directory -C $(DEMO_PROJECT) demo VENV=$(DEMO_VENV) $(DEMO_PORTS)

lint: install ## ruff over the template's own Python (hooks, tests, tools, bench)
	$(VENV)/bin/ruff check hooks tests tools bench
	$(VENV)/bin/ruff format --check hooks tests tools bench

# One command after a change to the baked backend's dependencies (the template's tests fail with
# this command's name while a lock is stale).
lock: install ## regenerate the baked backend's uv.lock for both databases (UPGRADE=1: newest releases)
	$(VENV)/bin/python -m tools.lock $(if $(UPGRADE),--upgrade)

# One command after a change to the baked backend's routes or models (the template's tests fail
# with this command's name while a variant's client is stale). Needs make, node and npm.
client: install ## regenerate the baked frontend's typed API client for every set of routes
	$(VENV)/bin/python -m tools.client

test: install lint ## bake the matrix and run every baked project's own tests
	$(VENV)/bin/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup

# Not part of `make test`: numbers, not pass/fail. Loads 127.0.0.1 only and fetches nothing, so
# a missing wrk is a stop with the command that installs it. BENCH_ARGS=--quick: a short smoke
# run of the harness (its figures are not results); --no-results leaves RESULTS.md alone.
bench: install ## bake a project, benchmark it (issues 7 and 15), print figures beside goals, update bench/RESULTS.md
	@command -v wrk >/dev/null || { echo "wrk is missing: install it (apt-get install wrk), then run 'make bench' again" >&2; exit 1; }
	@command -v taskset >/dev/null || echo "taskset (util-linux) is missing: servers will not be pinned" >&2
	$(VENV)/bin/python -m bench.run_all $(BENCH_ARGS)

clean: ## remove installs, caches and demo bakes
	rm -rf $(VENV) $(CACHE) build
