# review — two commands on a fresh machine:
#   make run    install, migrate, seed the demo if empty, serve on http://127.0.0.1:5000
#   make test   install what the tests need (Debian packages too) and run the whole suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
# Debian packages WeasyPrint needs at run time. libharfbuzz-subset0: without it the CJK fonts are
# subset by fontTools, seconds per PDF instead of ~0.1 s. fonts-noto-cjk: the PDFs' Chinese font.
APT_RUNTIME_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk
# The browser tests also need chromium (their CJK font comes with the runtime packages); the
# archive tests render a PDF page to PNG with poppler-utils' pdftoppm.
APT_TEST_PACKAGES := chromium poppler-utils

.PHONY: run test install install-dev translations migrate demo system-deps system-test-deps extract-messages update-messages bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# system-deps is order-only: checked on every run, but never forces a pip reinstall.
$(VENV)/.installed: requirements.txt | $(BIN)/python system-deps
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d review/translations --statistics

migrate: install translations
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) demo --if-empty --archive

run: demo
	@echo "Serving on http://$(HOST):$(PORT)  (Ctrl-C to stop)"
	$(FLASK) run --host $(HOST) --port $(PORT)

# $(call apt-install-missing,PACKAGES): install the Debian packages that are missing, only those.
define apt-install-missing
@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
if [ -n "$$missing" ]; then \
  echo "Installing Debian packages:$$missing"; \
  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
fi
endef

system-deps:
	$(call apt-install-missing,$(APT_RUNTIME_PACKAGES))

system-test-deps:
	$(call apt-install-missing,$(APT_TEST_PACKAGES))

# One worker per core (pytest-xdist), each with its own SQLite files and PostgreSQL databases; the
# slowest tests are listed at the end so that the suite's time stays in sight.
PYTEST_WORKERS ?= auto
test: system-test-deps install-dev translations
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --durations=15 $(PYTEST_ARGS)

extract-messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
	  --ignore-dirs=".venv tests migrations" -o review/translations/messages.pot .

update-messages: extract-messages
	$(BIN)/pybabel update -i review/translations/messages.pot -d review/translations --ignore-obsolete

bench: install-dev
	$(BIN)/python bench/roster_import.py
	$(BIN)/python bench/scoring.py
	$(BIN)/python bench/kpi_import.py
	$(BIN)/python bench/results_page.py
	$(BIN)/python bench/archive_build.py
	$(BIN)/python bench/survey_submit.py

clean:
	rm -rf $(VENV) .pytest_cache
