# The two commands of this project (see README):
#   make dev    start the API locally on http://127.0.0.1:9000 (local DynamoDB, no AWS account)
#   make test   run every check and test (what CI runs)
#   make bench  measure cold start, latency, memory and size (not a test: prints figures)
# Both install what they lack into the project: .venv (PyPI) and node_modules (npm).

SHELL := /bin/bash
.DEFAULT_GOAL := help
export PATH := $(CURDIR)/.venv/bin:$(PATH)
export SAM_CLI_TELEMETRY := 0

.PHONY: help dev test bench

help:
	@echo "make dev    start the API locally on http://127.0.0.1:$${PORT:-9000}"
	@echo "make test   run every check and test (CI runs this)"
	@echo "make bench  measure cold start, latency, memory and size (prints figures)"

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

dev: .venv/.dev-installed node_modules/.installed
	tools/dev.sh

test: .venv/.test-installed node_modules/.installed
	tools/test.sh

bench: .venv/.dev-installed node_modules/.installed
	tools/bench.sh $(BENCH_ARGS)
