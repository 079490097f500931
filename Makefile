# secure-stack: `make demo` bakes and runs a default project, `make test` runs every test.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := $(CURDIR)/.venv
CACHE := $(CURDIR)/.cache
DEMO_DIR := $(CURDIR)/build/demo
DEMO_PROJECT := $(DEMO_DIR)/secure_stack_app
PYTEST_WORKERS ?= 2
export npm_config_cache := $(CACHE)/npm

.PHONY: help install demo test lint bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed; $(PYTHON) is " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(VENV)/bin/python -m pip install --disable-pip-version-check --quiet -e '.[test]'
	@touch $@

install: $(VENV)/.installed ## install the template's test tools into .venv

demo: install ## bake the default project into build/demo and run it (Ctrl-C stops it)
	@mkdir -p $(DEMO_DIR)
	$(VENV)/bin/cookiecutter $(CURDIR) --no-input -f -o $(DEMO_DIR)
	$(MAKE) -C $(DEMO_PROJECT) demo VENV=$(DEMO_PROJECT)/.venv

lint: install ## ruff over the template's own Python (hooks, tests, bench)
	$(VENV)/bin/ruff check hooks tests bench
	$(VENV)/bin/ruff format --check hooks tests bench

test: install lint ## bake the matrix and run every baked project's own tests
	$(VENV)/bin/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup

clean: ## remove installs, caches and demo bakes
	rm -rf $(VENV) $(CACHE) build
