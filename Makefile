# Two commands for a newcomer: `make demo` and `make test`. Everything they need is installed here.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8000

# Django 6.1 needs Python 3.12+; pick the first interpreter that runs and is new enough.
PYTHON_CANDIDATES := python3.13 python3.12 python3 \
	$(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3) \
	$(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3) \
	$(wildcard /usr/local/bin/python3.1[23]) $(wildcard /usr/bin/python3.1[23])
FIND_PYTHON = for p in $(PYTHON_CANDIDATES); do \
	  if "$$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then echo "$$p"; break; fi; \
	done

.PHONY: help
help:
	@echo "make demo   install, migrate, load the demo organisation and run web, workers and beat"
	@echo "make test   install test tools, run ruff and the whole test suite (in parallel)"
	@echo "make test-time CLOCK_START=2026-12-11T23:30:00-10:00   the time-sensitive tests at that moment"
	@echo "make bench  seed a benchmark database at scale and write bench/results.json"

$(STAMP): pyproject.toml
	@python="$$($(FIND_PYTHON))"; \
	if [ -z "$$python" ]; then \
	  echo "error: no Python 3.12 or newer found (tried: $(PYTHON_CANDIDATES))." >&2; \
	  echo "Install Python 3.12+ (Django 6.1 needs it) and run make again." >&2; exit 1; \
	fi; \
	echo "using $$python ($$($$python --version))"; \
	[ -x $(PY) ] || "$$python" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

.PHONY: install
install: $(STAMP) node_modules/.installed

.PHONY: lint
lint: $(STAMP)
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

# pytest-xdist processes (auto: one per core); TEST_WORKERS=0 runs everything in this process.
TEST_WORKERS ?= auto
# The tests that depend on the day, the hour or the calendar: .ci/run runs them again at awkward
# moments (`make test-time CLOCK_START=...`) and under faketime.
TIME_TESTS := tests/sparks tests/surveys tests/discussions tests/insights tests/notifications \
	tests/cohorts/test_timeline.py tests/browser/test_prompts.py tests/browser/test_spark_answer.py \
	tests/browser/test_spark_plan.py tests/browser/test_survey_answer.py \
	tests/browser/test_survey_build.py tests/browser/test_cohort_dashboard.py \
	tests/browser/test_org_dashboard.py
# Real processes broken on purpose, in real time: the clock of the test process is not theirs.
NOT_TIME_TESTS := --ignore=tests/notifications/test_delivery_faults.py \
	--ignore=tests/sparks/test_e2e_worker.py

.PHONY: test
test: install lint
	$(VENV)/bin/pytest -n $(TEST_WORKERS)

# The time-sensitive tests, as if the run started at CLOCK_START (ISO 8601 with its UTC offset)
# when it is given; PYTEST_ARGS adds options (e.g. PYTEST_ARGS='-m "not browser"').
.PHONY: test-time
test-time: install
	$(VENV)/bin/pytest -n $(TEST_WORKERS) $(if $(CLOCK_START),--clock-start=$(CLOCK_START)) \
		$(TIME_TESTS) $(NOT_TIME_TESTS) $(PYTEST_ARGS)

.PHONY: demo
demo: install
	@mkdir -p var
	DEBUG=true $(PY) manage.py migrate --noinput
	DEBUG=true $(PY) manage.py seed_demo
	@echo
	@echo "  Social training demo: http://127.0.0.1:$(PORT)/"
	@echo "  manager@demo.test     / social-training-demo   (L&D manager)"
	@echo "  instructor@demo.test  / social-training-demo   (instructor)"
	@echo "  participant@demo.test / social-training-demo   (participant)"
	@echo "  Mail is written to var/mail/. Ctrl-C stops web, worker and beat."
	@echo
	DEBUG=true PORT=$(PORT) $(VENV)/bin/honcho start -f Procfile

# The bench's own tools (locust for the HTTP load), beside the test tools.
$(VENV)/.bench-installed: pyproject.toml $(STAMP)
	$(PY) -m pip install --quiet -e '.[test,bench]'
	@touch $@

.PHONY: bench
bench: install $(VENV)/.bench-installed
	$(PY) bench/run.py

.PHONY: format
format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
