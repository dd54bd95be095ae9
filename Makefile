# The two commands of this project (see README):
#   make dev    start the API locally on http://127.0.0.1:9000 (local DynamoDB, no AWS account)
#   make test   run every check and test (what CI runs)
#   make bench  measure cold start, latency, memory and size (not a test: prints figures)
# Both install what they lack into the project: .venv (PyPI) and node_modules (npm).

SHELL := /bin/bash
.DEFAULT_GOAL := help
export PATH := $(CURDIR)/.venv/bin:$(PATH)
export SAM_CLI_TELEMETRY := 0

.PHONY: help dev test bench e2e

help:
	@echo "make dev    start the API locally on http://127.0.0.1:$${PORT:-9000}, the web app on :$${WEB_PORT:-5173}"
	@echo "make test   run every check and test (CI runs this)"
	@echo "make bench  measure cold start, latency, memory and size (prints figures)"
	@echo "make e2e BASE_URL=... TOKEN=... [ASSIGNEE_TOKEN=...]   the contract tests against a deployed stage"

.venv/.dev-installed: tools/requirements-dev.txt
	python3 -m venv .venv
	.venv/bin/pip install --quiet --disable-pip-version-check -r tools/requirements-dev.txt
	touch $@

.venv/.test-installed: .venv/.dev-installed tools/requirements-test.txt
	.venv/bin/pip install --quiet --disable-pip-version-check -r tools/requirements-test.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The web app (web/): Vite, Preact, the generators and Playwright, from its own lock file.
web/node_modules/.installed: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

dev: .venv/.dev-installed node_modules/.installed web/node_modules/.installed
	tools/dev.sh

# The GitHub workflows' linters, in an environment of their own (their pins clash with SAM CLI's).
.venv/workflow-lint/.installed: tools/requirements-workflow-lint.txt
	python3 -m venv .venv/workflow-lint
	.venv/workflow-lint/bin/pip install --quiet --disable-pip-version-check -r $<
	touch $@

# checkov, likewise in an environment of its own.
.venv/checkov/.installed: tools/requirements-checkov.txt
	python3 -m venv .venv/checkov
	.venv/checkov/bin/pip install --quiet --disable-pip-version-check -r $<
	touch $@

test: .venv/.test-installed .venv/workflow-lint/.installed .venv/checkov/.installed node_modules/.installed web/node_modules/.installed
	tools/test.sh

bench: .venv/.dev-installed node_modules/.installed
	tools/bench.sh $(BENCH_ARGS)

# The HTTP contract tests (tests/e2e, pytest) against any stage (make test runs them against
# the local stack). TOKEN and ASSIGNEE_TOKEN reach them through the environment (make exports
# what the command line or the environment sets), never through a command line: no recipe
# line names them, so neither the log nor `ps` shows a token (make test checks it with make -n).
export TOKEN ASSIGNEE_TOKEN
e2e: .venv/.dev-installed
	@test -n "$(BASE_URL)" || { echo "usage: make e2e BASE_URL=https://...execute-api.../Prod TOKEN=<ID token>"; exit 2; }
	@BASE_URL="$(BASE_URL)" python3 -m pytest tests/e2e
