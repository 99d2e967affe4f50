# Two commands on a fresh clone: `make demo` runs the Kazakhstan baseline and a policy
# variant; `make test` runs the test suite; `make app` starts the teaching page. Each
# creates .venv from pyproject.toml first.
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test app bench lint clean

$(STAMP): pyproject.toml
	@PY=$$(scripts/find-python) && echo "creating $(VENV) with $$PY" && $$PY -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,app]"
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/egov run kazakhstan_baseline
	$(BIN)/egov run interoperability_first

test: $(STAMP)
	$(BIN)/python -m pytest

app: $(STAMP)
	$(BIN)/egov app

bench: $(STAMP)
	$(BIN)/python -m benchmarks

lint: $(STAMP)
	$(BIN)/ruff check sim tests benchmarks
	$(BIN)/ruff format --check sim tests benchmarks

clean:
	rm -rf $(VENV)
