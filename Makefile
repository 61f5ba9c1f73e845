# Two commands: `make run` and `make test`. Everything else is set-up they share.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
DB ?= .northstar/store
PORT ?= 8501
# Who can reach the app: this computer only (localhost), or a room's phones too (HOST=0.0.0.0).
HOST ?= localhost
# Headless unless there is a display to open a browser on.
HEADLESS := $(if $(DISPLAY),false,true)

.PHONY: run test lint venv chromium java catalogs clean

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Northstar needs $(PYTHON) on PATH" >&2; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

venv: $(VENV)/.installed

# Debian's Chromium for the browser tests; never `playwright install` (it downloads a browser).
chromium:
	@command -v chromium >/dev/null || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

# Java 17 for Spark local mode (the DuckDB/Spark parity tests); Debian's package, like chromium.
java:
	@command -v java >/dev/null || [ -n "$$JAVA_HOME" ] || { \
	  echo "Installing Debian's openjdk-17-jre-headless for the Spark tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq openjdk-17-jre-headless >/dev/null; }

run: venv
	$(PY) -m northstar ensure-demo --db $(DB)
	NORTHSTAR_DB=$(DB) $(PY) -m streamlit run app.py --server.address $(HOST) --server.port $(PORT) \
	  --server.headless $(HEADLESS) --browser.gatherUsageStats false

test: venv chromium java
	$(PY) -m pytest -q -n 2

# ruff (style), mypy (types of northstar/), import-linter (the package layers in pyproject.toml).
lint: venv
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(VENV)/bin/lint-imports

# Message catalogs: extract every marked string, merge it into each language's .po, compile the .mo.
# People translate in northstar/i18n/locale/<lang>/LC_MESSAGES/northstar.po; the .mo is committed.
LOCALES := northstar/i18n/locale
catalogs: venv
	$(VENV)/bin/pybabel extract -F babel.cfg --no-location --sort-output --project Northstar \
	  -o $(LOCALES)/northstar.pot .
	$(VENV)/bin/pybabel update -i $(LOCALES)/northstar.pot -d $(LOCALES) -D northstar --no-fuzzy-matching
	$(VENV)/bin/pybabel compile -d $(LOCALES) -D northstar --statistics

clean:
	rm -rf $(VENV) .pytest_cache
