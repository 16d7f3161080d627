# The two commands: `make run` (the product, with a demo tenant) and `make test`.
# Both need only Python 3.11 and make; PostgreSQL and Redis are embedded under .data/
# unless DATABASE_URL / REDIS_URL are set.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test setup lint typecheck stop-data clean

# Entry points refuse to start without an explicit settings module (config/entrypoint.py): the
# commands below name the development settings; pytest reads the test settings from pyproject.toml.
DEV := DJANGO_SETTINGS_MODULE=config.settings.dev

# Debian packages (scripts/system-packages.txt): installed once per version of the list when
# this runs as root on Debian; otherwise the script names what is missing and setup goes on.
SYSTEM_LIST := scripts/system-packages.txt
SYSTEM_STAMP := $(VENV)/.system-packages-$(firstword $(shell cksum < $(SYSTEM_LIST) 2>/dev/null))

$(SYSTEM_STAMP):
	@bash scripts/install-system-deps.sh $(SYSTEM_LIST)
	@mkdir -p $(VENV) && rm -f $(VENV)/.system-packages-* && touch $@

$(STAMP): requirements/base.txt requirements/dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { echo "Could not create a venv: on Debian/Ubuntu run 'apt-get install python3-venv'"; exit 1; }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/dev.txt
	@touch $(STAMP)

setup: $(SYSTEM_STAMP) $(STAMP)
	@mkdir -p staticfiles
	@# The softphone's SIP.js (package-lock.json), served as a static file; optional without npm.
	@if ! command -v npm >/dev/null; then echo "npm not found: the agent desk's softphone is unavailable (install nodejs + npm)"; \
	elif [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then \
	npm ci --omit=dev --no-audit --no-fund || echo "npm ci failed: the agent desk's softphone is unavailable"; fi
	$(DEV) $(PY) manage.py compile_translations

# The switch under the engine: sim (default; needs no root) or sip (Kamailio + rtpengine beside the
# web processes and the engine on --driver sip, Procfile.sip).
SWITCH ?= sim
# The web port (`make run PORT=8100` when 8000 is taken): daphne listens on it and the printed
# addresses name it. honcho hands PORT to the first process of the Procfile (web) as it is.
PORT ?= 8000

run: setup
	@case "$(SWITCH)" in sim|sip) ;; *) echo "SWITCH must be sim or sip, not '$(SWITCH)'"; exit 2 ;; esac
	@case "$(PORT)" in ''|*[!0-9]*) echo "PORT must be a number, not '$(PORT)'"; exit 2 ;; esac
	$(DEV) $(PY) manage.py migrate_schemas --verbosity 0
	$(DEV) PORT=$(PORT) $(PY) manage.py ensure_demo
	@if [ "$(SWITCH)" = sip ]; then $(DEV) $(PY) manage.py sip_config && exec env $(DEV) PORT=$(PORT) $(VENV)/bin/honcho start -p $(PORT) -f Procfile.sip; \
	else exec env $(DEV) PORT=$(PORT) $(VENV)/bin/honcho start -p $(PORT) -f Procfile; fi

test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy apps config
	$(PY) scripts/check_translations.py
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
