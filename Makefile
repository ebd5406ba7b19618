# godkend: two commands matter. `make run` serves the demo, `make test` proves everything.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
GODKEND_HOST ?= 127.0.0.1
GODKEND_PORT ?= 8000
export GODKEND_HOST GODKEND_PORT

# The web UI's front-end assets (DKFDS) come from npm, pinned by package-lock.json, and are
# copied into the package's static folder (not committed); the browser tests need Chromium.
NPM_STAMP := node_modules/.installed
VENDOR := src/godkend/web/static/vendor
VENDOR_STAMP := $(VENDOR)/.installed
I18N := src/godkend/web/i18n

.PHONY: run test lint types imports pytest install clean bench vendor chromium i18n screenshots

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	touch $(NPM_STAMP)

$(VENDOR_STAMP): $(NPM_STAMP)
	rm -rf $(VENDOR)
	mkdir -p $(VENDOR)/dkfds
	cp -R node_modules/dkfds/dist/css node_modules/dkfds/dist/fonts node_modules/dkfds/dist/img \
		node_modules/dkfds/LICENSE.md $(VENDOR)/dkfds/
	touch $(VENDOR_STAMP)

vendor: $(VENDOR_STAMP)

# Debian's chromium for the browser tests (Playwright drives it; it never downloads a browser).
chromium:
	@test -x /usr/bin/chromium || apt-get install -y chromium \
		|| (apt-get update && apt-get install -y chromium)

# Re-extract the web UI's texts and merge them into the catalogues (then translate da's new ones).
# The .po files are compiled in memory when godkend starts: there are no .mo files to build.
i18n: $(STAMP)
	$(BIN)/pybabel extract -F $(I18N)/babel.cfg -k N_ --no-location --sort-output \
		--project godkend --copyright-holder godkend -o $(I18N)/messages.pot .
	$(BIN)/pybabel update -i $(I18N)/messages.pot -d $(I18N) -D messages --width 100 \
		--no-fuzzy-matching --ignore-obsolete

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP) $(VENDOR_STAMP)
	$(BIN)/godkend demo --host $(GODKEND_HOST) --port $(GODKEND_PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports

pytest: $(STAMP) $(VENDOR_STAMP) chromium
	$(BIN)/python -m pytest --cov --cov-report=term $(PYTEST_ARGS)

test: lint types imports pytest

# The pictures in docs/screenshots/ (rewritten from a real server and browser; not part of `test`).
screenshots: $(STAMP) $(VENDOR_STAMP) chromium
	GODKEND_SCREENSHOTS=1 $(BIN)/python -m pytest tests/e2e/web/test_screenshots.py -q

# Benchmarks against the peers and the machine's limits (bench/README.md); never part of `test`.
# `make bench QUICK=1` runs the small sizes (under 5 minutes), `make bench` the full ones.
BENCH_STAMP := $(VENV)/.bench-installed
BENCH_NPM_STAMP := bench/node_modules/.installed

$(BENCH_STAMP): pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	touch $(BENCH_STAMP)

$(BENCH_NPM_STAMP): bench/package.json bench/package-lock.json
	npm ci --prefix bench --no-audit --no-fund
	touch $(BENCH_NPM_STAMP)

bench: $(STAMP) $(BENCH_STAMP) $(BENCH_NPM_STAMP)
	$(BIN)/python bench/run.py $(if $(QUICK),--quick)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage* $(VENDOR) node_modules
