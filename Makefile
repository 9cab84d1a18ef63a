# `make run` sets up and serves Keryx (embedded SQLite). `make test` runs the whole test suite.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export KERYX_DATA_DIR ?= ./var

.PHONY: run install test test-deps lint bench fuzz chaos

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q -U pip
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.test-installed: $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/keryx init
	$(BIN)/keryx serve

# Test prerequisites: Python test tools, Debian's Chromium (the UI tests drive it through
# Playwright; a test tool must never download its own browser), ffmpeg (ffprobe checks videos),
# gettext (the catalogue test compiles the Greek translation), and the Bluesky PDS from npm.
test-deps: $(VENV)/.test-installed
	@command -v chromium >/dev/null && command -v ffprobe >/dev/null && command -v msgfmt >/dev/null \
	  || (apt-get update -qq && apt-get install -y -qq chromium ffmpeg gettext)
	bash peers/bluesky/install.sh
	bash peers/bluesky-appview/install.sh

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .

test: test-deps lint
	KERYX_DATA_DIR=$(CURDIR)/var/test $(BIN)/pytest $(PYTEST_ARGS)

# The API fuzzed against its OpenAPI schema, in process (no socket), at length; the ordinary
# test run does 10 examples per operation.
fuzz: $(VENV)/.test-installed
	KERYX_DATA_DIR=$(CURDIR)/var/test KERYX_FUZZ_EXAMPLES=$${KERYX_FUZZ_EXAMPLES:-1000} \
	  $(BIN)/pytest tests/test_api_fuzz.py -p no:logging

# The chaos suite at length (issue 14, §2): KERYX_CHAOS_RUNS runs with random seeds on
# PostgreSQL, slow replies included; the ordinary test run does two fixed-seed runs.
chaos: test-deps
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres} \
	  KERYX_DATA_DIR=$(CURDIR)/var/test KERYX_CHAOS_RUNS=$${KERYX_CHAOS_RUNS:-100} \
	  $(BIN)/pytest tests/test_chaos.py -s -p no:logging

$(VENV)/.bench-installed: $(VENV)/.test-installed
	$(BIN)/pip install -q -e '.[test,bench]'
	touch $@

bench: $(VENV)/.bench-installed
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)
