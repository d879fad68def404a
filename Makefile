# Two commands set everything up on a fresh machine: `make serve` and `make test`.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PYTHON ?= python3

# Material 9.8 prints an end-of-life banner on every build.
export NO_MKDOCS_2_WARNING := 1

.PHONY: serve build test record import bench clean

# The environment is rebuilt whenever the pinned dependencies change.
$(STAMP): pyproject.toml package.json package-lock.json
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e '.[test]'
	npm ci --no-audit --no-fund --silent
	touch $(STAMP)

serve: $(STAMP)
	$(VENV)/bin/mkdocs serve -a 127.0.0.1:8000

build: $(STAMP)
	$(VENV)/bin/mkdocs build --strict

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

record: $(STAMP)
	$(PY) -m snipdoc record $(FILES)

# A draft chapter from an old notebook, and its drift report: make import NOTEBOOK=old/x.ipynb PAGE=docs/ch13.md
import: $(STAMP)
	$(PY) -m snipdoc import $(NOTEBOOK) --page $(PAGE) $(IMPORT_ARGS)

# Prints a Markdown table of medians and ratios; see bench/README.md.
bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[test,bench]'
	$(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf site .cache
