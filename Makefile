# The two commands a newcomer needs: `make demo` and `make test`. Both set themselves up.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
NODE_MODULES := node_modules/.package-lock.json
UPPY_BUNDLE := build/local/uppy.js

.PHONY: setup system test demo bench reliability lint format up clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

# The deploy tooling (Serverless Framework v3 via osls, ffprobe for the Lambda layer).
$(NODE_MODULES): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# Uppy for the local upload page (local only, never deployed): one ES module, no CDN.
$(UPPY_BUNDLE): $(NODE_MODULES) boulderstat/local/static/uppy-entry.js
	node_modules/.bin/esbuild boulderstat/local/static/uppy-entry.js --bundle --format=esm \
		--minify --log-level=warning --outfile=$@

system:
	@bash scripts/install-system-deps.sh

setup: system $(STAMP) $(NODE_MODULES) $(UPPY_BUNDLE)

## Runs the whole product locally: climbs, uploads, processing, events, report.
demo: setup
	$(PY) -m boulderstat.local.cli demo

## Runs lint and the full test suite (unit, integration against the local stack, deploy).
test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest

## Runs the local stack in the foreground until Ctrl-C.
up: setup
	$(PY) -m boulderstat.local.cli local up

bench: setup
	$(PY) -m bench
	$(PY) -m bench.feed

## The local stack under load and faults (not part of `make test`; ~10 min): docs/reliability.md.
reliability: setup
	$(PY) -m reliability

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format:
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) node_modules build .boulderstat-local .pytest_cache .serverless demo-output
