# fagdag for developers. Two commands:
#   make run    the app with demo data at http://127.0.0.1:$(PORT)/ (prints an admin login)
#   make test   ruff, then the test suite on SQLite (and on PostgreSQL with TEST_POSTGRES_URL)
# The rest are the steps they are made of.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help run test install messages lint pytest demo serve

help:
	@echo "make run    run fagdag with demo data at http://127.0.0.1:$(PORT)/ (make run PORT=8001 for another port)"
	@echo "make test   ruff and the whole test suite (PostgreSQL too when TEST_POSTGRES_URL is set)"

# --- Python environment -----------------------------------------------------

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "fagdag needs Python 3.11 or newer as $(PYTHON) (make PYTHON=python3.11 ...)" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

# The stamp is newer than both requirements files once they are installed, so
# a second run skips pip altogether.
$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $@

install: $(VENV)/.installed

# --- Translations -----------------------------------------------------------

# compilemessages walks every folder called "locale": keep it out of the venv.
messages: install
	@if [ -z "$$(find locale -name '*.po' 2>/dev/null)" ]; then \
		echo "No .po files under locale/: no translations to compile."; \
	elif ! command -v msgfmt >/dev/null; then \
		echo "msgfmt not found: install gettext (apt-get install gettext, brew install gettext)" >&2; exit 1; \
	else \
		DEBUG=1 $(MANAGE) compilemessages --ignore=$(VENV) --ignore=var -v0; \
	fi

# --- make run ---------------------------------------------------------------

# Development mode, whatever the shell says; links in e-mails point at this port.
run demo serve: export DEBUG := 1
run demo serve: export SITE_URL := http://127.0.0.1:$(PORT)

demo: install messages
	$(MANAGE) migrate --noinput -v0
	$(MANAGE) createcachetable
	$(MANAGE) setup_roles
	$(MANAGE) load_demo
	$(MANAGE) collectstatic --noinput -v0

serve: install
	@echo "fagdag runs at http://127.0.0.1:$(PORT)/  (Ctrl-C stops it)"
	PORT=$(PORT) bin/run-dev

# The admin login comes last so that it is on screen when the server starts.
run: demo
	@$(MANAGE) demo_admin
	@$(MAKE) --no-print-directory serve

# --- make test --------------------------------------------------------------

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

# Both passes run even when the first fails, so CI shows both; either failing
# fails make.
pytest: install messages
	@status=0; \
	echo "==> Test pass 1/2: SQLite"; \
	if env -u DATABASE_URL $(BIN)/pytest; then sqlite=passed; else sqlite=FAILED; status=1; fi; \
	if [ -n "$$TEST_POSTGRES_URL" ]; then \
		echo "==> Test pass 2/2: PostgreSQL ($$(echo "$$TEST_POSTGRES_URL" | sed -E 's#//([^:/@]+):[^@]*@#//\1:***@#'))"; \
		if DATABASE_URL="$$TEST_POSTGRES_URL" $(BIN)/pytest; then postgres=passed; else postgres=FAILED; status=1; fi; \
	else \
		postgres="NOT RUN (set TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/fagdag to run it)"; \
		echo "==> Test pass 2/2: PostgreSQL NOT RUN: TEST_POSTGRES_URL is not set"; \
	fi; \
	echo "==> Tests on SQLite: $$sqlite"; \
	echo "==> Tests on PostgreSQL: $$postgres"; \
	exit $$status

test: lint pytest
