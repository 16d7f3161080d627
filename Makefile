# The two commands: `make run` (the product, with a demo tenant) and `make test`.
# Both need only Python 3.11 and make; PostgreSQL and Redis are embedded under .data/
# unless DATABASE_URL / REDIS_URL are set.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test setup lint typecheck stop-data clean

$(STAMP): requirements/base.txt requirements/dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { echo "Could not create a venv: on Debian/Ubuntu run 'apt-get install python3-venv'"; exit 1; }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/dev.txt
	@touch $(STAMP)

setup: $(STAMP)
	@mkdir -p staticfiles
	$(PY) manage.py compile_translations

run: setup
	$(PY) manage.py migrate_schemas --verbosity 0
	$(PY) manage.py ensure_demo
	$(VENV)/bin/honcho start -f Procfile

test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run --verbosity 0
	$(VENV)/bin/pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy apps config

stop-data: $(STAMP)
	$(PY) config/embedded.py stop

clean: stop-data
	rm -rf .data staticfiles
