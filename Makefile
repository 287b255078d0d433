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
	echo "Installing the Python packages with $$python ($$($$python --version)); output in var/install.log"; \
	mkdir -p var; \
	{ [ -x $(PY) ] || "$$python" -m venv $(VENV); } >var/install.log 2>&1 \
	  && $(PY) -m pip install --quiet --upgrade pip >>var/install.log 2>&1 \
	  && $(PY) -m pip install --quiet -e '.[test]' >>var/install.log 2>&1 \
	  || { tail -n 30 var/install.log; echo "Installing failed: var/install.log has it all." >&2; exit 1; }
	@touch $@

node_modules/.installed: package.json package-lock.json
	@echo "Installing the front-end packages (npm ci)"
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

.PHONY: install
install: $(STAMP) node_modules/.installed

.PHONY: lint
lint: $(STAMP)
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

# pytest-xdist processes: one per core and one more, because the tests that drive real worker
# processes (tests/notifications/test_delivery_faults.py with its 60 s Redis outage,
# tests/sparks/test_e2e_worker.py, tests/project/test_demo_delivery.py) mostly wait, leaving their
# core idle. At most 16: each process has a Redis database of its own. TEST_WORKERS=0 runs
# everything in this process.
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); echo $$(( n < 16 ? n + 1 : 16 )))
# The tests that depend on the day, the hour or the calendar: .ci/run runs them again at awkward
# moments (`make test-time CLOCK_START=...`) and under faketime.
TIME_TESTS := tests/sparks tests/surveys tests/discussions tests/insights tests/notifications \
	tests/cohorts/test_timeline.py tests/browser/test_prompts.py tests/browser/test_spark_answer.py \
	tests/browser/test_spark_plan.py tests/browser/test_survey_answer.py \
	tests/browser/test_survey_build.py tests/browser/test_cohort_dashboard.py \
	tests/browser/test_org_dashboard.py tests/coaching tests/browser/test_coach_observation.py \
	tests/browser/test_lift_and_alerts.py
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

# Links in the demo's emails, invitations, sparks and xAPI ids follow the port it serves on
# (`PORT=8101 make demo`), unless SITE_URL is set.
DEMO_SITE_URL = $(or $(SITE_URL),http://127.0.0.1:$(PORT))
# Celery's warning about running as root (common in a container or a VM) is noise for a demo.
DEMO_ENV = DEBUG=true PORT=$(PORT) SITE_URL=$(DEMO_SITE_URL) \
	PYTHONWARNINGS="ignore:You're running the worker with superuser privileges"

# Quiet until it serves: migrating and seeding write to var/demo-setup.log (its end is shown if a
# step fails), installing to var/install.log; then the URL and logins, then the processes' logs.
.PHONY: demo
demo: install
	@mkdir -p var
	@echo "Setting up the demo (migrate, seed; details in var/demo-setup.log)..."
	@{ $(DEMO_ENV) $(PY) manage.py migrate --noinput \
	  && $(DEMO_ENV) $(PY) manage.py seed_demo; } >var/demo-setup.log 2>&1 \
	  || { tail -n 30 var/demo-setup.log; echo "The demo's set-up failed: var/demo-setup.log has it all." >&2; exit 1; }
	@echo
	@echo "  Social training demo: $(DEMO_SITE_URL)/"
	@echo "  manager@demo.test     / social-training-demo   (L&D manager)"
	@echo "  instructor@demo.test  / social-training-demo   (instructor)"
	@echo "  participant@demo.test / social-training-demo   (participant)"
	@echo "  Mail is written to var/mail/. Ctrl-C stops web, worker and beat."
	@echo
	@$(DEMO_ENV) $(VENV)/bin/honcho start -f Procfile

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
