# Two entry points for a fresh clone: `make run` and `make test`. Each creates the venv it needs.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e ".[test]"
	touch $(STAMP)

.PHONY: run test check lint bench
run: $(STAMP)
	$(VENV)/bin/python -m bot

test: $(STAMP)
	$(VENV)/bin/python -m pytest -q

check: $(STAMP)
	$(VENV)/bin/python -m bot check

lint: $(STAMP)
	$(VENV)/bin/ruff check bot tests benchmarks

bench: $(STAMP)
	$(VENV)/bin/python benchmarks/bench_matcher.py
	$(VENV)/bin/python benchmarks/bench_telegram_burst.py
