# gaoxin — two commands: `make demo` and `make test`. Each sets itself up.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# the dashboard (docs/dashboard.md): npm ci when the lock file changes, vite build when a source changes; no CDN
WEB := src/gaoxin/web/static/index.html
NODE_MODULES := frontend/node_modules/.package-lock.json
WEB_SOURCES := $(shell find frontend/src -type f 2>/dev/null) frontend/index.html frontend/vite.config.js frontend/package.json

.PHONY: demo test test-fast lint bench clean java node chromium web report-libs

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

demo: $(STAMP) $(WEB) report-libs
	$(BIN)/gaoxin demo --serve

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

java:  # the Spark tests start a local JVM; install Debian's headless Java when there is none
	@command -v java >/dev/null || ! command -v apt-get >/dev/null || \
	  { apt-get update -qq && apt-get install -y -qq --no-install-recommends default-jre-headless; }

test: $(STAMP) lint java chromium report-libs $(WEB)
	$(BIN)/python -m pytest -q -n 2 --dist loadfile tests || { rc=$$?; [ $$rc -eq 5 ] && echo "no tests collected"; exit $$rc; }


node:  # Debian's Node.js and npm when there are none
	@command -v npm >/dev/null || ! command -v apt-get >/dev/null || \
	  { apt-get update -qq && apt-get install -y -qq --no-install-recommends nodejs npm; }

$(NODE_MODULES): frontend/package-lock.json | node
	cd frontend && npm ci --no-audit --no-fund
	touch $(NODE_MODULES)

$(WEB): $(NODE_MODULES) $(WEB_SOURCES)
	cd frontend && npm run build

web: $(WEB)

chromium:  # the browser tests drive Debian's Chromium (never a downloaded browser) and need CJK fonts for screenshots
	@test -x /usr/bin/chromium || ! command -v apt-get >/dev/null || \
	  { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium; }
	@fc-list :lang=zh 2>/dev/null | grep -q . || ! command -v apt-get >/dev/null || \
	  { apt-get update -qq && apt-get install -y -qq --no-install-recommends fonts-noto-cjk; }

report-libs:  # PDF reports: WeasyPrint needs Pango, CJK fonts for text and charts; the tests read PDFs with poppler
	@{ ldconfig -p | grep -q libpangoft2-1.0 && fc-list :lang=zh | grep -q . && command -v pdftoppm >/dev/null; } || \
	  ! command -v apt-get >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends \
	  libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk poppler-utils; }

test-fast: $(STAMP) lint  ## the tests not marked slow: under a minute on 2 cores
	$(BIN)/python -m pytest -q -n 2 --dist loadfile -m "not slow" tests

bench: $(STAMP)
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/indicators.py
	$(BIN)/python bench/uncertainty.py
	$(BIN)/python bench/enterprise.py
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/report.py

clean:
	rm -rf $(VENV) demo-out demo-data gaoxin.duckdb gaoxin.duckdb.wal src/gaoxin/web/static frontend/node_modules test-artifacts
