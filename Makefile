# Quartermaster — the two commands are `make run` and `make test`; see README.md.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
export FLASK_APP := wsgi:app
# The embedded database for `make run` unless DATABASE_URL says otherwise.
export DATABASE_URL ?= sqlite:///$(CURDIR)/instance/quartermaster.sqlite3

# Checked before anything runs, so `make worker` without a broker stops at once.
ifneq ($(filter worker,$(MAKECMDGOALS)),)
ifeq ($(strip $(CELERY_BROKER_URL)),)
$(error make worker needs CELERY_BROKER_URL, e.g. CELERY_BROKER_URL=redis://127.0.0.1:6379/0 make worker; without Redis, run jobs from cron with `flask jobs run NAME`)
endif
endif

.PHONY: run worker demo test screenshots browser lint format openapi bench-ledger bench-procurement bench-policy \
	seed-large bench-reports bench-valuation-curve bench-pages bench-forecast bench-forecast-accuracy bench-forecast-speed install migrate clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

migrate: $(STAMP)
	mkdir -p instance
	$(BIN)/flask db upgrade

# Workers: 2 x cores + 1 sync workers from gunicorn.conf.py (WORKERS=N overrides), the layout
# that docs/performance.md measures.
run: migrate
	$(BIN)/flask users first-admin
	$(BIN)/gunicorn --bind 127.0.0.1:$(PORT) wsgi:app

# The jobs through Celery: a worker with embedded beat, for one host (docs/operations.md).
worker: migrate
	$(BIN)/celery -A worker worker -B --schedule instance/celerybeat-schedule --loglevel INFO

# Loads only into an empty database, else exits 1 and says how to start over.
demo: migrate
	$(BIN)/flask demo load

# The browser tests drive Debian's chromium (Playwright's own download is not reachable here).
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@test -x $(CHROMIUM) || { echo "Installing Debian's chromium for the browser tests"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  $(SUDO) apt-get install -y -q --no-install-recommends chromium \
	  || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q --no-install-recommends chromium; }; }

test: $(STAMP) browser
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q

# docs/screenshots/: the main pages at desktop and phone width, taken by the accessibility
# browser test (PostgreSQL) on the demo data set; the old pictures go first so none is stale.
screenshots: $(STAMP) browser
	rm -f docs/screenshots/*.png
	SCREENSHOT_DIR=docs/screenshots $(BIN)/python -m pytest -q \
	  tests/e2e/test_browser_accessibility.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

openapi: $(STAMP)
	$(BIN)/flask openapi write --format=json docs/openapi.json

bench-ledger: $(STAMP)
	$(BIN)/python bench/ledger.py --rounds 3

bench-procurement: $(STAMP)
	$(BIN)/python bench/procurement.py

bench-policy: $(STAMP)
	$(BIN)/python bench/policy.py

# Forecasting: accuracy on bench/data (ours through the CLI beside every single model), then the
# speed of a full reorder run on PostgreSQL beside a per-item statsmodels loop.
bench-forecast: bench-forecast-accuracy bench-forecast-speed

bench-forecast-accuracy: $(STAMP)
	$(BIN)/python bench/forecast_accuracy.py

bench-forecast-speed: $(STAMP)
	$(BIN)/python bench/reorder.py

# About 1,000,000 ledger rows (10,000 items, 3 years) into DATABASE_URL, which must be PostgreSQL
# (migrated by the script; --force in SEED_ARGS empties a database that has items).
seed-large: $(STAMP)
	$(BIN)/python bench/seed_large.py $(SEED_ARGS)

# Reports over HTTP on a fresh seed-large database, beside pandas on the same rows.
bench-reports: $(STAMP)
	$(BIN)/python bench/reports.py

# Valuation now and as of a year ago at ~1M, 3M and 10M ledger rows (10M needs several GB of disk
# while it runs), beside a plain SQL sum from the first row; SIZES=1M,3M picks fewer.
bench-valuation-curve: $(STAMP)
	nice $(BIN)/python bench/valuation_curve.py $(if $(SIZES),--sizes $(SIZES))

# Every page a signed-in person reaches, on a fresh seed-large database (aim: < 300 ms each).
bench-pages: $(STAMP)
	$(BIN)/python bench/pages.py

clean:
	rm -rf $(VENV) instance
