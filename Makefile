# The two commands of the README:
#   make run    set up .venv, migrate the embedded SQLite database (demo data if empty), serve :5000
#               (make run PORT=5050 HOST=0.0.0.0 to choose where)
#   make test   set up .venv, run the tests
# and one target per benchmark: make bench-<name> runs bench/<name>.

PYTHON ?= python3
PORT ?= 5000
HOST ?= 127.0.0.1
VENV := .venv
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint

RUN_PACKAGES := libzbar0 fonts-noto-cjk
TEST_PACKAGES := $(RUN_PACKAGES) chromium poppler-utils nginx

$(STAMP): pyproject.toml
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

run: $(STAMP)
	@scripts/system-packages $(RUN_PACKAGES)
	$(VENV)/bin/minyi db upgrade
	$(VENV)/bin/minyi demo load --if-empty
	$(VENV)/bin/minyi run --host $(HOST) --port $(PORT)

test: $(STAMP)
	@scripts/system-packages $(TEST_PACKAGES)
	$(VENV)/bin/pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .

# What a benchmark needs beside the test packages (bench-webhook drives the apps with wrk).
BENCH_PACKAGES := $(TEST_PACKAGES) wrk

bench-%: $(STAMP)
	@scripts/system-packages $(BENCH_PACKAGES)
	$(VENV)/bin/python bench/$*
