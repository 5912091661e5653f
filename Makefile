# alspaincohort: the README's two commands are `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install demo test test-oldest lint bench bench-quick agreement data clean

help:  ## list the targets
	@echo "alspaincohort make targets:"
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | awk -F'\t' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install the package with the dev extra (idempotent)

demo: install  ## validate, summarise and report on the bundled synthetic cohort (data/synthetic/)
	$(VENV)/bin/alspaincohort summary data/synthetic/cohort
	MPLBACKEND=Agg $(VENV)/bin/alspaincohort report data/synthetic/cohort --out out/demo

lint: install  ## ruff and mypy
	$(VENV)/bin/ruff check alspaincohort tests benchmarks
	$(VENV)/bin/mypy

test: install lint  ## ruff, then the test suite
	MPLBACKEND=Agg $(PY) -m pytest -q

OLDEST := .venv-oldest
test-oldest:  ## the test suite again on the oldest supported pandas / NumPy (ci/oldest-constraints.txt)
	$(PYTHON) -m venv $(OLDEST)
	$(OLDEST)/bin/python -m pip install --quiet --upgrade pip
	$(OLDEST)/bin/python -m pip install --quiet -e ".[dev]" -c ci/oldest-constraints.txt
	$(OLDEST)/bin/python -c "import pandas, numpy; print('oldest environment: pandas', pandas.__version__, 'numpy', numpy.__version__)"
	MPLBACKEND=Agg $(OLDEST)/bin/python -m pytest -q -p no:cacheprovider

bench: install  ## benchmarks, each timing printed as a ratio against the reference tool
	$(PY) benchmarks/run.py

bench-quick: install  ## memory peaks and operation counts only; fails on a regression (CI runs it)
	$(PY) benchmarks/run.py --quick

agreement: install  ## run the R corpora and write docs/agreement.md (worst difference per estimator)
	mkdir -p out
	ALSPAIN_AGREEMENT=out/agreement.csv MPLBACKEND=Agg $(PY) -m pytest -q -p no:cacheprovider \
		tests/test_corpus_*.py tests/test_mice.py
	$(PY) tests/agreement_table.py out/agreement.csv > docs/agreement.md

data: install  ## regenerate data/synthetic/ (the command the data README names)
	$(VENV)/bin/alspaincohort simulate --n 500 --seed 20261121 --preset literature --format both --out data/synthetic

clean:  ## remove the virtual environment and caches
	rm -rf $(VENV) $(OLDEST) .pytest_cache .ruff_cache .mypy_cache .hypothesis
