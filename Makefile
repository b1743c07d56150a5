# Two commands: `make run` opens the app on the bundled sample, `make test` runs the whole suite.
# Both create the virtual environment and install coplan into it first, when needed.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run profile test lint bench screenshots clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
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

screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m ui.screenshots screenshots

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
