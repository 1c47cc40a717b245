# `make signoff` signs off the sprint; `make test` runs the harness's own tests.
VENV ?= .venv
PYTEST = $(VENV)/bin/pytest
WORKERS ?= 2
# Cache bytecode even where the environment turns it off (PYTHONDONTWRITEBYTECODE=1 on our machines):
# every run starts a controller, two workers and ~25 CLI subprocesses, and without .pyc files each
# one compiles the harness (and pytest re-rewrites its asserts) from source. __pycache__ is ignored by git.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: setup signoff test report bench clean help

help:
	@echo "make signoff   run the sprint sign-off (sets up servers and venv first); exits 1 unless signed off"
	@echo "make test      run the harness's own tests"
	@echo "make report    build the single-file Allure HTML report (with history) from reports/allure-results"
	@echo "make bench     run the benchmarks (side by side, ratios)"
	@echo "make clean     remove generated reports"

setup:
	@./scripts/setup.sh

signoff: setup
	$(PYTEST) -n $(WORKERS) --signoff-gate $(ARGS)

test: setup
	$(VENV)/bin/mypy
	$(PYTEST) tests -n $(WORKERS) -p no:cacheprovider $(ARGS)

report: setup
	./scripts/allure-report.sh $(ARGS)

bench: setup
	$(VENV)/bin/python -m bench $(ARGS)

clean:
	rm -rf reports/allure-results reports/signoff.* reports/junit.xml
