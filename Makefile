# The two set-up commands of the README, plus what CI and benchmarks use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test lint install install-dev clean
.PHONY: serve

.PHONY: screenshots

# Serve the site at http://$(HOST):$(PORT) with SQLite and local media. No prompt.
# `make run PORT=8300` (or HOST=0.0.0.0) when the port is taken or others share the machine.
HOST ?= 127.0.0.1
PORT ?= 8000
# The task worker (staff CSV imports) runs beside the site and stops with it.
run: $(VENV)/.installed
	DJANGO_DEBUG=true $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=true $(BIN)/python manage.py db_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	DJANGO_DEBUG=true $(BIN)/python manage.py runserver $(HOST):$(PORT)

.PHONY: worker
# Production: run the task worker as its own process (one or more), beside `make serve`.
worker: $(VENV)/.installed
	exec $(BIN)/python manage.py db_worker

# Lint and run the whole test suite; non-zero on any failure.
test: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/pytest $(PYTEST_ARGS)

# Style, formatting and types (mypy with django-stubs, configured in pyproject.toml).
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

# Installs again only when a lock changed. --require-hashes: pip refuses any file whose hash
# is not in the lock, and any package the lock does not pin.
$(VENV)/.installed: requirements/runtime.txt | $(VENV)/bin/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/runtime.txt
	touch $@

$(VENV)/.installed-dev: requirements/runtime.txt requirements/dev.txt | $(VENV)/bin/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/dev.txt
	touch $@ $(VENV)/.installed

# uv (pinned in dev.in) compiles the locks: fast, one --universal lock for Linux/macOS/Windows, ignores pip.conf.
LOCK := $(BIN)/uv pip compile --quiet --generate-hashes --universal --python-version 3.11 \
	--custom-compile-command "make lock"
# Re-compile both locks from the .in files, keeping every pin the .in files still allow.
# Upgrades: make lock LOCK_ARGS=--upgrade (all) or LOCK_ARGS="--upgrade-package django".
.PHONY: lock
lock: $(VENV)/.installed-dev
	$(LOCK) $(LOCK_ARGS) requirements/runtime.in -o requirements/runtime.txt
	$(LOCK) $(LOCK_ARGS) requirements/dev.in -o requirements/dev.txt

clean:
	rm -rf $(VENV) staticfiles .pytest_cache

# Production: install the runtime dependencies, collect static files (hashed, compressed),
# apply migrations, then serve with gunicorn (config/gunicorn.conf.py). Every setting comes
# from the environment: see .env.production.example and the README's Production section.
serve: $(VENV)/.installed
	$(BIN)/python manage.py collectstatic --noinput
	$(BIN)/python manage.py migrate --noinput
	exec $(BIN)/gunicorn -c config/gunicorn.conf.py config.wsgi

.PHONY: bench-s3
# Requests the S3 server receives for one cover upload and one page render, and how long
# an upload takes to fail when the endpoint is dead (bench/s3_requests.py).
bench-s3: $(VENV)/.installed-dev
	$(BIN)/python bench/s3_requests.py

# Run the browser journeys, refresh the README's screenshots in docs/screenshots/ and write the
# visual check's references (tests/browser/visual/) from this look.
screenshots: $(VENV)/.installed-dev
	BOOKSTORE_UPDATE_SCREENSHOTS=1 $(BIN)/pytest -m browser tests/browser
	$(BIN)/python -m tests.browser.readme_screenshots

.PHONY: axe
# The accessibility engine the browser journeys inject (tests/browser/axe.py), from npm, committed.
AXE_PACKAGE := axe-core@4.10.3
axe:
	rm -rf build/axe && mkdir -p build/axe
	cd build/axe && npm pack --silent $(AXE_PACKAGE) >/dev/null && tar xzf *.tgz
	cp build/axe/package/axe.min.js tests/browser/vendor/axe.min.js
	cp build/axe/package/LICENSE tests/browser/vendor/axe-LICENSE.txt

.PHONY: fonts
# The title face, self-hosted: Literata from npm's @fontsource package, cut to the Latin letters and
# punctuation the site sets (fontTools, pinned in dev.in). The results are committed in static/fonts/,
# so only a change of face or of characters needs this (and npm).
FONT_PACKAGE := @fontsource/literata@5.3.0
FONT_UNICODES := U+0020-007E,U+00A0-00FF,U+0131,U+0152-0153,U+2013-2014,U+2018-201A,U+201C-201E,U+2022,U+2026,U+2039-203A,U+20AC
fonts: $(VENV)/.installed-dev
	rm -rf build/fonts && mkdir -p build/fonts
	cd build/fonts && npm pack --silent $(FONT_PACKAGE) >/dev/null && tar xzf *.tgz
	for weight in 400 600; do \
	  $(BIN)/pyftsubset build/fonts/package/files/literata-latin-$$weight-normal.woff2 --unicodes="$(FONT_UNICODES)" \
	    --layout-features=kern,liga --flavor=woff2 --output-file=static/fonts/literata-$$weight.woff2 || exit 1; \
	done
	cp build/fonts/package/LICENSE static/fonts/OFL.txt
	ls -l static/fonts/*.woff2

.PHONY: bench-login
# Median log-in answer times for a right password, a wrong one and an unknown member, on
# allauth's log-in and the admin's (bench/login_timing.py).
bench-login: $(VENV)/.installed-dev
	$(BIN)/python bench/login_timing.py

.PHONY: bench-covers
# Cover pipeline vs Pillow's bare decode + re-encode on a 12 MP photo, and peak memory.
bench-covers: $(VENV)/.installed
	$(BIN)/python bench/covers.py

.PHONY: bench
# Seed PostgreSQL and SQLite at 10,000 and 100,000 books, serve with gunicorn, load with
# wrk; prints one table and writes bench/results/*.json, then the API-vs-HTML rows. About 40 minutes (55 on a slow day). Needs wrk.
bench: $(VENV)/.installed-dev
	@command -v wrk >/dev/null || { echo "wrk is missing: sudo apt-get install wrk"; exit 1; }
	$(BIN)/python bench/run.py
	$(BIN)/python bench/api.py
	$(BIN)/python bench/search.py

.PHONY: bench-search bench-search-large bench-large
# Search, filters and suggestions at 100,000 books on PostgreSQL: p50/p99 per query and the
# first three results (bench/search.py). About 2 minutes (seeding by COPY: bench/search_seed.py).
bench-search: $(VENV)/.installed-dev
	$(BIN)/python bench/search.py

# The same rows at 1,000,000 books (aim: search p99 under 50 ms). About 10 minutes, 3 of them seeding.
bench-large bench-search-large: $(VENV)/.installed-dev
	BENCH_SEARCH_BOOKS=1000000 BENCH_SEARCH_DB=bookstore_search_bench_large $(BIN)/python bench/search.py

.PHONY: bench-csv
# import_books on a generated 10,000-row Goodreads export (twice), and the peak memory of a
# streamed 100,000-book export (bench/catalogue_csv.py). DATABASE_URL=postgres://… for PostgreSQL.
bench-csv: $(VENV)/.installed-dev
	$(BIN)/python bench/catalogue_csv.py

.PHONY: bench-profile
# py-spy samples one gunicorn worker under wrk: anonymous and signed-in list and detail at 10,000
# books (bench/profile_served.py, about 2 minutes; PostgreSQL and Redis as for `make bench`).
bench-profile: $(VENV)/.installed-dev
	$(BIN)/python bench/profile_served.py

.PHONY: bench-mixed
# Readers on two gunicorn servers while members post 1 and 10 reviews a second and edit a book a second: read
# throughput and page-cache hit ratio, each against a read-only row run just before it (bench/mixed.py, about 5 minutes).
bench-mixed: $(VENV)/.installed-dev
	$(BIN)/python bench/mixed.py

.PHONY: bench-cover-bytes
# Image bytes of the book list and a book page on a phone (390 px, DPR 3, Chromium), with and
# without the covers' AVIF/WebP variants (bench/cover_bytes.py, about a minute; also in `make bench`).
bench-cover-bytes: $(VENV)/.installed-dev
	$(BIN)/python bench/cover_bytes.py

.PHONY: bench-lighthouse
# Lighthouse 12.2.3 (npm, into build/lighthouse) on the list and a book page under the production
# settings, covers (with their variants) in a moto S3 server: mobile and desktop scores
# (bench/lighthouse.py, about 3 minutes). Needs node/npm and chromium.
bench-lighthouse: $(VENV)/.installed-dev
	$(BIN)/python bench/lighthouse.py

.PHONY: bench-upload-memory
# Peak RSS of one process handling 10 concurrent 40 MP cover uploads, by decode slots
# (COVER_PROCESSING_CONCURRENCY; bench/upload_memory.py).
bench-upload-memory: $(VENV)/.installed
	$(BIN)/python bench/upload_memory.py

.PHONY: soak
# Two app servers behind nginx (PostgreSQL, Redis, moto S3) under mixed readers and writers for
# SOAK_SECONDS, through a Redis restart and a 10 s S3 outage; prints a report (bench/soak.py).
SOAK_SECONDS ?= 300
soak: $(VENV)/.installed-dev
	SOAK_SECONDS=$(SOAK_SECONDS) $(BIN)/python bench/soak.py

.PHONY: bench-api
# The API's book list against the HTML list at 10,000 books, anonymous, signed in and with a
# token, in one run (bench/api.py; also the last step of `make bench`).
bench-api: $(VENV)/.installed-dev
	@command -v wrk >/dev/null || { echo "wrk is missing: sudo apt-get install wrk"; exit 1; }
	$(BIN)/python bench/api.py
