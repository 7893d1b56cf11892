# The two set-up commands: `make run` serves the app, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint install clean

# uv installs the same packages as pip from the same index, in seconds rather than half a minute.
# Bytecode is compiled at install, as pip does: where PYTHONDONTWRITEBYTECODE is set (this
# machine sets it) every process would otherwise compile every library it imports.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet uv

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/smarketing db upgrade
	$(BIN)/smarketing run

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

# Tests mostly wait (HTTP round trips, subprocesses): four workers keep both cores busy.
PYTEST_ARGS ?= -n 4 --dist worksteal

# The type check runs beside the tests (they leave a core idle now and then); either failing
# fails the run.
test: install
	$(BIN)/ruff check .
	@$(BIN)/python -m compileall -q -j 0 bench blocks bot commands domain examples local_workspace services storage tests
	@$(BIN)/mypy > $(VENV)/mypy.log 2>&1 & mypy=$$!; \
	$(BIN)/pytest $(PYTEST_ARGS); tests=$$?; \
	wait $$mypy; types=$$?; cat $(VENV)/mypy.log; \
	[ $$tests -eq 0 ] && [ $$types -eq 0 ]

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
