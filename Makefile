# Two commands for a fresh machine: `make up` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: up test lint bench clean browser observability

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

up: $(STAMP)
	$(BIN)/veogen up

# Browser tests drive Debian's chromium, and move the studio's clock with libfaketime (a
# guest link expiring); as root they are installed here, otherwise those tests skip.
browser:
	@{ test -x /usr/bin/chromium && ls /usr/lib/*/faketime/libfaketime.so.1 >/dev/null 2>&1; } || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  { apt-get install -y -qq chromium libfaketime >/dev/null 2>&1 || \
	    { apt-get update -qq && apt-get install -y -qq chromium libfaketime >/dev/null; }; }; } || \
	  echo "chromium or libfaketime is not installed: the browser tests that need them will skip"

# A real Prometheus scrapes a real engine in the tests, and promtool checks docker/'s
# configuration and alert rules; as root they are installed here, otherwise those tests skip.
observability:
	@{ command -v prometheus && command -v promtool; } >/dev/null || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus prometheus-alertmanager >/dev/null 2>&1 || \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus prometheus-alertmanager >/dev/null; }; }; } || \
	  echo "prometheus or promtool is not installed: the tests that need them will skip"

test: $(STAMP) browser observability
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python benchmarks/animatic.py
	$(BIN)/python benchmarks/inflight.py
	$(BIN)/python benchmarks/assembly.py
	$(BIN)/python benchmarks/pages.py
	$(BIN)/python benchmarks/sign_in.py
	$(BIN)/python benchmarks/review.py

clean:
	rm -rf $(VENV) data .pytest_cache
