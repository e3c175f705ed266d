# BizOSaaS — `make run` and `make test` are all a fresh machine needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.deps-stamp
export DJANGO_SETTINGS_MODULE ?= config.settings.dev

.PHONY: setup run test bench lint messages clean-data

$(STAMP): requirements/base.txt requirements/dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -r requirements/dev.txt
	@touch $(STAMP)

setup: $(STAMP)
	@$(BIN)/python manage.py compile_locale
	@$(BIN)/python manage.py init_env

run: export BIZOSAAS_OWNER := run-$(shell date +%s%N)
run: setup
	@$(BIN)/python manage.py run_platform

test: setup
	@DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: setup
	@$(BIN)/python benchmarks/run_all.py

lint: setup
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .
	@$(BIN)/python manage.py makemigrations --check --dry-run

messages: setup
	@$(BIN)/python manage.py makemessages -l es --ignore=.venv --ignore=.data
	@$(BIN)/python manage.py compile_locale
