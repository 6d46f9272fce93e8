# Zhibu: the README's two commands are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1:8000
DEBIAN_PACKAGES := chromium fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0
# PostgreSQL pass of `make test`: ZHIBU_TEST_POSTGRES_URL, else a local server on 127.0.0.1:5432 if one answers.
PG_LOCAL_URL := postgres://postgres@127.0.0.1:5432/zhibu

.PHONY: run test test-sqlite test-postgres install install-test system-deps lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[test]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# Debian packages: chromium (browser tests), CJK fonts (PDFs, screenshots), pango (WeasyPrint).
system-deps:
	@missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends $$missing; \
	fi

run: install
	$(BIN)/zhibu migrate --noinput -v0
	$(BIN)/zhibu demo --if-empty
	$(BIN)/zhibu serve $(HOST)

test: install-test system-deps
	$(BIN)/ruff check .
	$(MAKE) --no-print-directory test-sqlite
	@url="$${ZHIBU_TEST_POSTGRES_URL}"; \
	if [ -z "$$url" ] && $(BIN)/python -c "import socket; socket.create_connection(('127.0.0.1', 5432), 1)" 2>/dev/null; then url="$(PG_LOCAL_URL)"; fi; \
	if [ -n "$$url" ]; then $(MAKE) --no-print-directory test-postgres ZHIBU_TEST_POSTGRES_URL="$$url"; \
	elif [ -n "$${ZHIBU_REQUIRE_POSTGRES}" ]; then echo "PostgreSQL required but not reachable"; exit 1; \
	else echo "No PostgreSQL server found: skipped the PostgreSQL pass."; fi

test-sqlite:
	@echo "== Test suite on SQLite =="
	DATABASE_URL= ZHIBU_VAR_DIR=$(CURDIR)/var/test $(BIN)/pytest $(PYTEST_ARGS)

test-postgres:
	@echo "== Test suite on PostgreSQL =="
	DATABASE_URL="$(ZHIBU_TEST_POSTGRES_URL)" ZHIBU_VAR_DIR=$(CURDIR)/var/test $(BIN)/pytest $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install-test
	$(BIN)/python bench/run.py
	$(BIN)/python bench/import_members.py
	$(BIN)/python bench/points.py
	$(BIN)/python bench/orglife.py

clean:
	rm -rf $(VENV) var test-artifacts
