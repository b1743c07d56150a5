# Two commands: `make run` opens the app on the bundled sample, `make test` runs the whole suite.
# Both create the virtual environment and install coplan into it first, when needed.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run profile test lint bench screenshots lock clean

# Installs come from the lock file (exact versions, with hashes), so a new release of a dependency cannot
# break a fresh install. `make lock` refreshes the lock on purpose; run `make test` before committing it.
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m ui

profile: $(STAMP)
	$(BIN)/coplan profile sample_scenarios/midsize_city/calls.csv.gz --mapping sample_scenarios/midsize_city/mapping.toml

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check planner optimize simulation ui tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/import_profile.py
	$(BIN)/python benchmarks/sim_throughput.py
	$(BIN)/python benchmarks/optimize.py
	$(BIN)/python benchmarks/frontier.py

screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m ui.screenshots screenshots

# The lock serves Linux, Windows and macOS alike (uv's universal resolution), from Python 3.11 up.
LOCK_VENV := .lock-venv
lock:
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet uv
	$(LOCK_VENV)/bin/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 \
		--generate-hashes --upgrade --quiet -o requirements.lock
	@echo "requirements.lock refreshed: run 'make test' before committing it"

clean:
	rm -rf $(VENV) $(LOCK_VENV) build *.egg-info .pytest_cache
