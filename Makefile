# The two commands of README.md: `make run` and `make test`, each from nothing on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app surveys
HOST ?= 127.0.0.1
PORT ?= 5000
DEMO_RESPONSES ?= 3000
# Invitation links point where `make run` serves (make run PORT=5001 makes links with :5001), unless the
# environment names another address.
export SURVEYS_BASE_URL ?= http://$(HOST):$(PORT)

.PHONY: run test install install-test lint clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The stamp files make `make` reinstall only when setup.cfg changed.
$(VENV)/.installed: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

$(VENV)/.installed-bench: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# A local secret key, made once; production sets SURVEYS_SECRET_KEY instead.
instance/config.py:
	mkdir -p instance
	printf 'SECRET_KEY = "%s"\n' "$$($(PYTHON) -c 'import secrets; print(secrets.token_hex(32))')" > $@

run: install instance/config.py
	$(FLASK) db upgrade
	$(FLASK) seed
	$(FLASK) demo --responses $(DEMO_RESPONSES) --if-empty
	$(BIN)/gunicorn --config gunicorn.conf.py --workers 2 --bind $(HOST):$(PORT) 'surveys:create_app()'

# Two runs, together every test: the app tests spread over the cores (pytest-xdist; each worker has its own
# PostgreSQL database), then the tests that start servers, browsers, nginx or load, one at a time, so a load
# or timing check has the machine to itself as it would in production.
SERIAL_TESTS = server or browser or production or attack
test: install-test
	$(BIN)/ruff check surveys tests
	status=0; \
	$(BIN)/python -m pytest -n auto -m "not ($(SERIAL_TESTS))" || status=1; \
	$(BIN)/python -m pytest -m "$(SERIAL_TESTS)" || status=1; \
	exit $$status

# The budgets of DESIGN.md section 9, measured against baselines from the same run; prints one table and
# writes bench/results.md. Takes several minutes (BENCH_QUICK=1: a smoke run). Not a test: nothing fails on time.
bench: $(VENV)/.installed-bench
	$(BIN)/python -m bench

lint: install-test
	$(BIN)/ruff check surveys tests

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
