# The front door: `make run` starts the site, `make test` runs every test.
# Both create .venv on first use with a Python 3.12+ (3.13 preferred).

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
MESSAGES := locale/cy/LC_MESSAGES/django.mo
CHROMIUM ?= /usr/bin/chromium
HOST ?= 127.0.0.1
PORT ?= 8000

# A Python new enough for Django 6.1: the first of these that exists.
PYTHON ?= $(shell for p in python3.13 python3.12 \
	$$(ls -d $$HOME/.pyenv/versions/3.13*/bin/python3 $$HOME/.pyenv/versions/3.12*/bin/python3 2>/dev/null) python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { command -v $$p; break; }; done)

.PHONY: lock upgrade messages test-fast demo run test test-future test-sqlite test-postgres lint check venv browser fonts lighthouse clean bench bench-sign bench-profile bench-timing bench-export bench-admin bench-delivery

venv: $(STAMP) $(MESSAGES)

# The Welsh translations (locale/cy/LC_MESSAGES/django.po, in the repository) compiled for gettext; the .mo is
# built here, never committed. msgfmt is GNU gettext's (Debian's gettext package, installed when missing).
$(MESSAGES): locale/cy/LC_MESSAGES/django.po
	@if ! command -v msgfmt >/dev/null; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "Installing GNU gettext to compile the translations"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null; \
		else echo "Compiling the translations needs GNU gettext: 'sudo apt-get install gettext'" >&2; exit 1; fi; fi
	msgfmt --check-format -o $@ $<

## messages: after adding or changing a string a supporter sees, gather the strings into
## locale/cy/LC_MESSAGES/django.po and write their Welsh there (tests/config/test_translations.py fails until then)
messages: venv
	DEBUG=true $(PY) manage.py makemessages -l cy -e html,txt,py --no-obsolete \
		--ignore=tests --ignore=bench --ignore=static --ignore=staticfiles

# uv installs exactly what uv.lock pins (hashes included); this Makefile brings its own uv, of a pinned
# version, in .tools/ (a system uv is not needed, nor used).
UV_VERSION := 0.13.8
UV := .tools/bin/uv
export UV_PYTHON_DOWNLOADS := never
# Byte-compiled at install: every later start (tests, server, worker) reads the .pyc files rather than compiling
# about 1,300 modules again, which matters where PYTHONDONTWRITEBYTECODE is set, as on the CI machines.
export UV_COMPILE_BYTECODE := 1
# The project's own modules and the tests are byte-compiled on first import and kept (in __pycache__, which git
# ignores): where the environment sets PYTHONDONTWRITEBYTECODE, as the CI machines do, every process (each test
# worker, the server, the task worker) would otherwise compile them again, about 3 s of CPU for a test worker.
unexport PYTHONDONTWRITEBYTECODE

$(UV):
	@if [ -z "$(PYTHON)" ]; then \
		echo "No Python 3.12 or newer found. Install Python 3.13 (for example 'pyenv install 3.13'" >&2; \
		echo "or your system's python3.13 package), or run: make PYTHON=/path/to/python3.13 ..." >&2; \
		exit 1; fi
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(STAMP): pyproject.toml uv.lock | $(UV)
	@echo "Installing the locked dependencies into $(VENV) with $(PYTHON) ($$($(PYTHON) --version))"
	$(UV) sync --locked --extra pdf --python $(PYTHON)
	@touch $(STAMP)

## lock: after editing pyproject.toml's dependencies, pin them again in uv.lock (changing nothing else)
lock: | $(UV)
	$(UV) lock --python $(PYTHON)

## upgrade: move every dependency to the newest release its range in pyproject.toml allows, then install
upgrade: | $(UV)
	$(UV) lock --upgrade --python $(PYTHON)
	$(UV) sync --locked --extra pdf --python $(PYTHON)
	@touch $(STAMP)
	@echo "uv.lock is refreshed: run make test, then commit it."

# Local runs default to DEBUG (a development secret key, runserver serving
# static files, no HTTPS redirect); set DEBUG=false to run production-like.
run demo lint: export DEBUG ?= true
# Every link the site makes (emails, share links, the API) points where `make run` serves, unless SITE_URL
# is set in the environment or in .env.
ifeq ($(shell grep -qs '^SITE_URL=' .env && echo set),)
run: export SITE_URL ?= http://$(HOST):$(PORT)
endif

## run: set up and serve the campaign on http://$(HOST):$(PORT), with the task worker
run: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_campaign
	@echo "Serving on http://$(HOST):$(PORT)/ (Ctrl-C stops the site and the worker)"
	@# Both run in the background so that the shell is in `wait`, where a signal reaches it at once; Ctrl-C,
	@# a SIGTERM to make (which passes it on), or either program stopping, stops the other too.
	@trap 'trap - TERM; kill 0' EXIT INT TERM; \
		$(PY) manage.py worker --interval 1 & \
		$(PY) manage.py runserver $(HOST):$(PORT) & \
		wait -n

## demo: fill the open campaign with N made-up signers (default 100,000), marked as demo: counted on the site,
## never exported or delivered. Running it again replaces them; `manage.py demo_signatures --delete` removes them.
N ?= 100000
demo: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_campaign
	$(PY) manage.py demo_signatures $(N) --replace

## browser: Debian's Chromium for the browser tests (Playwright never downloads one)
browser:
	@if [ ! -x "$(CHROMIUM)" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "Installing Debian's chromium for the browser tests"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else \
			echo "The browser tests need Chromium at $(CHROMIUM): 'sudo apt-get install chromium'," >&2; \
			echo "or set CHROMIUM=/path/to/chromium." >&2; exit 1; \
		fi; fi

## fonts: Debian's Noto fonts, which draw every script a UK signer may write in, for the delivery-pack PDF (its
## tests fail without them): fonts-noto-core (Latin, Greek, Cyrillic, Arabic, Bengali, Devanagari and many more;
## 12 MB to download, 43 MB installed) and fonts-noto-cjk (Chinese, Japanese, Korean; 57 MB, 91 MB installed)
PDF_FONTS := Noto Serif|Noto Naskh Arabic|Noto Serif Bengali|Noto Serif Devanagari|Noto Serif CJK SC
fonts:
	@families='$(PDF_FONTS)'; IFS='|'; for family in $$families; do fc-list -q "$$family" 2>/dev/null || missing=1; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "Installing Debian's Noto fonts for the delivery-pack PDF"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-core fonts-noto-cjk >/dev/null; \
		else \
			echo "The delivery-pack PDF needs the Noto fonts ($(PDF_FONTS)):" >&2; \
			echo "'sudo apt-get install fonts-noto-core fonts-noto-cjk', or your system's Noto packages." >&2; exit 1; \
		fi; fi

## lighthouse: Lighthouse from npm, exactly as tools/lighthouse/package-lock.json pins it, for the campaign page's
## test (tests/e2e/test_lighthouse.py); npm is installed with apt when missing and it can be
LIGHTHOUSE_BIN := tools/lighthouse/node_modules/.bin/lighthouse
lighthouse: $(LIGHTHOUSE_BIN)

$(LIGHTHOUSE_BIN): tools/lighthouse/package.json tools/lighthouse/package-lock.json
	@if ! command -v npm >/dev/null; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "Installing Debian's npm for Lighthouse"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; \
		else \
			echo "Lighthouse needs npm (Node.js 18.20 or newer): 'sudo apt-get install npm'." >&2; exit 1; \
		fi; fi
	@echo "Installing Lighthouse $$(sed -n 's/.*"lighthouse": "\(.*\)".*/\1/p' tools/lighthouse/package.json) (npm ci)"
	cd tools/lighthouse && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null
	@touch $@

# Every run spreads the test files over the cores (pytest-xdist); PYTEST_ARGS="-n 0" runs them in one process.
XDIST := -n auto --dist loadfile

## test: set up and run the whole suite (DATABASE_URL picks the database; SQLite by default). Lighthouse's audits
## run last and alone: they time the page on this machine, which the other tests would be busy with. (Either half
## may select nothing when PYTEST_ARGS names tests: pytest's "no tests collected", status 5, is no failure here.)
## LIGHTHOUSE=no leaves those audits out (CI runs them once, in its SQLite suite: they measure the page, whatever
## the database).
ALONE := lighthouse
LIGHTHOUSE ?= yes
test: venv browser fonts lighthouse
	CHROMIUM_PATH=$(CHROMIUM) $(VENV)/bin/pytest $(XDIST) -m "not $(ALONE)" $(PYTEST_ARGS) || [ $$? = 5 ]
ifeq ($(LIGHTHOUSE),yes)
	CHROMIUM_PATH=$(CHROMIUM) $(VENV)/bin/pytest -n 0 -m "$(ALONE)" $(PYTEST_ARGS) || [ $$? = 5 ]
endif

## test-fast: the inner loop, in seconds: every test but the browser and the slow ones (see pyproject's markers),
## a test file to each core (pytest-xdist), on test databases kept between runs in the checkout (new migrations
## are applied to them)
test-fast: venv
	TEST_SQLITE_PATH=$(CURDIR)/$(VENV)/test-fast.sqlite3 \
		$(VENV)/bin/pytest -m "not browser and not slow" --reuse-db $(XDIST) -q $(PYTEST_ARGS)

## test-future: the whole suite with every clock in the process a year and a month ahead (Debian's faketime),
## so that no test can depend on today's date. CI runs it on SQLite.
FAKETIME_LIB ?= $(firstword $(wildcard /usr/lib/*/faketime/libfaketime.so.1))
test-future: venv browser fonts lighthouse
	@if [ -z "$(FAKETIME_LIB)" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime >/dev/null; \
		else echo "test-future needs libfaketime: 'sudo apt-get install faketime'" >&2; exit 1; fi; fi
	@now=$$(date +%s); export LD_PRELOAD=$$(ls /usr/lib/*/faketime/libfaketime.so.1 | head -1) FAKETIME="+400d"; \
		$(PY) -c 'import sys, time; ahead = (time.time() - int(sys.argv[1])) / 86400; print(f"The tests run {ahead:.0f} days ahead, on", time.strftime("%F")); sys.exit(ahead < 399)' $$now \
		&& { CHROMIUM_PATH=$(CHROMIUM) $(VENV)/bin/pytest $(XDIST) -m "not $(ALONE)" $(PYTEST_ARGS) || [ $$? = 5 ]; } \
		&& { [ "$(LIGHTHOUSE)" != yes ] || CHROMIUM_PATH=$(CHROMIUM) $(VENV)/bin/pytest -n 0 -m "$(ALONE)" $(PYTEST_ARGS) || [ $$? = 5 ]; }

test-sqlite:
	DATABASE_URL= $(MAKE) test

test-postgres:
	DATABASE_URL=$${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/petition} $(MAKE) test

## lint: ruff, mypy (with django-stubs; it reads the settings, hence DEBUG above) and the migrations check
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(PY) manage.py makemigrations --check --dry-run

## bench: the surge and fault drills on a production-like stack on loopback, printing one table, and each part's
## time against its budget (15 minutes; BENCH_ARGS=--quick for a 6-minute pass). Needs wrk, and PostgreSQL's and Redis's server programs.
bench: venv
	@command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(PY) bench/run.py $(BENCH_ARGS)

## bench-sign: the surge alone: signing against a bare-insert floor, confirmations, nothing lost, the count exact
bench-sign: venv
	@command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(PY) bench/run.py --only surge $(BENCH_ARGS)

## bench-profile: where a signature's time goes: the sign request taken apart (each middleware, the CSRF check, the
## form, the limits, the insert) in microseconds, beside the floor, in one process on a throwaway PostgreSQL and Redis
bench-profile: venv
	$(PY) bench/sign_profile.py $(BENCH_ARGS)

## bench-timing: whether signing or resending takes longer for an address that has signed than for a new one
bench-timing: venv
	@command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(PY) bench/run.py --only timing $(BENCH_ARGS)

## bench-export: time and peak memory of exporting 1,000,000 signatures (PostgreSQL)
bench-export: venv
	$(PY) bench/export.py $(BENCH_ARGS)

## bench-admin: latency of the admin signature list and its filters on 1,000,000 signatures (PostgreSQL)
bench-admin: venv
	$(PY) bench/admin_list.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .tools staticfiles .pytest_cache .ruff_cache .mypy_cache tools/lighthouse/node_modules

## bench-delivery: time, pages and peak memory of building a delivery-pack PDF of 20,000 named signatories (PostgreSQL)
bench-delivery: venv fonts
	$(PY) bench/delivery.py $(BENCH_ARGS)
