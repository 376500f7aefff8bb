# gaoxin — two commands: `make demo` and `make test`. Each sets itself up.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast lint bench clean java

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/gaoxin demo

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

java:  # the Spark tests start a local JVM; install Debian's headless Java when there is none
	@command -v java >/dev/null || ! command -v apt-get >/dev/null || \
	  { apt-get update -qq && apt-get install -y -qq --no-install-recommends default-jre-headless; }

test: $(STAMP) lint java
	$(BIN)/python -m pytest -q -n 2 --dist loadfile tests || { rc=$$?; [ $$rc -eq 5 ] && echo "no tests collected"; exit $$rc; }

test-fast: $(STAMP) lint  ## the tests not marked slow: under a minute on 2 cores
	$(BIN)/python -m pytest -q -n 2 --dist loadfile -m "not slow" tests

bench: $(STAMP)
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/indicators.py
	$(BIN)/python bench/uncertainty.py
	$(BIN)/python bench/enterprise.py
	$(BIN)/python bench/startup.py

clean:
	rm -rf $(VENV) demo-out demo-data gaoxin.duckdb gaoxin.duckdb.wal
