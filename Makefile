# Two commands set everything up on a fresh machine: `make serve` and `make test`.
# Pass-through variables: PYTEST_ARGS (make test), IMPORT_ARGS (make import),
# BENCH_ARGS (make bench), FILES and FORCE (make record), TORCH=cpu (any target).
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PYTHON ?= python3
# TORCH=cpu: take torch from PyTorch's CPU wheel index (about 200 MB) instead of
# whatever pip picks (on Linux, PyPI's CUDA build: several GB). Either satisfies
# the pin torch==2.13.0.
TORCH  ?=
TORCH_VERSION := $(shell sed -n 's/.*"torch==\([^"]*\)".*/\1/p' pyproject.toml)
SUPPORTED := 3.11 3.12 3.13
# The engine (snipdoc/, a package of its own) is installed editable from this checkout,
# with the parts of it these notes use, in the same pip run as the notes' exact pins.
ENGINE_EXTRAS := mkdocs,notebook,search-zh,import

# TORCH=cpu: torch from PyTorch's CPU index, with a hint when that index does not answer
# (a variable: the commas of the message would split $(if ...)'s arguments).
TORCH_CPU = $(PY) -m pip install --quiet --timeout 15 --retries 1 torch==$(TORCH_VERSION) \
  --index-url https://download.pytorch.org/whl/cpu || { echo "error: PyTorch's CPU index \
  (download.pytorch.org) did not answer. Run without TORCH=cpu to take PyPI's torch (on Linux the CUDA \
  build, several GB), or point PIP_INDEX_URL at a mirror that has torch==$(TORCH_VERSION)+cpu."; exit 1; }

# Material 9.8 prints an end-of-life banner on every build.
export NO_MKDOCS_2_WARNING := 1

.PHONY: serve build pdf test record import bench clean

# The environment is rebuilt whenever the pinned dependencies change.
$(STAMP): pyproject.toml snipdoc/pyproject.toml package.json package-lock.json
	@version=$$($(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null); \
	case " $(SUPPORTED) " in *" $$version "*) ;; *) \
	  echo "error: $(PYTHON) is Python $${version:-missing}; supported: $(SUPPORTED)."; \
	  echo "Point make at one, e.g.  make PYTHON=python3.11 test"; exit 1;; esac
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@# Left at the top by the layout before the engine had its own folder: Python reads
	@# its stale entry points first when it runs from here.
	rm -rf snipdoc.egg-info
	$(if $(filter cpu,$(TORCH)),$(TORCH_CPU))
	$(PY) -m pip install --quiet -e './snipdoc[$(ENGINE_EXTRAS)]' '.[test]'
	npm ci --no-audit --no-fund --silent
	touch $(STAMP)

serve: $(STAMP)
	$(VENV)/bin/mkdocs serve -a 127.0.0.1:8000

build: $(STAMP)
	$(VENV)/bin/mkdocs build --strict

# A PDF of each chapter of the built site (site/pdf/ch12.pdf), linked from the chapter's
# page; prints with headless Chromium, offline. After `make build`: make build pdf
pdf: $(STAMP)
	$(PY) tools/pdf.py site

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

# make record FILES="snippets/ch12/a.txt ..." (default: every snippet); FORCE=1 overwrites
# recorded outputs off the reference platform.
record: $(STAMP)
	$(PY) -m snipdoc record $(FILES) $(if $(FORCE),--force)

# A draft chapter from an old notebook, and its drift report: make import NOTEBOOK=old/x.ipynb PAGE=docs/ch13.md
import: $(STAMP)
	$(PY) -m snipdoc import $(NOTEBOOK) --page $(PAGE) $(IMPORT_ARGS)

# Prints a Markdown table of medians and ratios; see bench/README.md.
bench: $(STAMP)
	$(PY) -m pip install --quiet -e './snipdoc[$(ENGINE_EXTRAS)]' '.[test,bench]'
	$(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf site .cache
