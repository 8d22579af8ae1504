# Two commands on a fresh machine: `make run` and `make test`. Each creates or updates .venv itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint venv clean translations bench

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/mobility run

test: $(STAMP)
	$(BIN)/pytest

# Throughput, event latency, queue and memory next to the floors, in one run (needs wrk, PostgreSQL,
# RabbitMQ); prints the table and writes it into docs/benchmarks.md. BENCH_ARGS=--smoke for a quick check.
bench: $(STAMP)
	@command -v wrk >/dev/null || { echo "make bench needs wrk (apt-get install wrk)"; exit 1; }
	$(BIN)/python -m bench $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

clean:
	rm -rf $(VENV) var .pytest_cache

# Page texts: extract, merge into the catalogs, compile. Translate gateway/translations/zh/.../messages.po between.
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -k _l --no-location --sort-output -o gateway/translations/messages.pot .
	$(BIN)/pybabel update -i gateway/translations/messages.pot -d gateway/translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d gateway/translations
