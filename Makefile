# Two commands on a fresh machine: `make run` (main job) and `make test` (whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Re-install when the project's metadata changes.
INSTALLED := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test lint system-deps clean

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

run: $(INSTALLED)
	$(BIN)/ftgraph run

# STRICT=1 (used by .ci/run): a skipped test is a failure.
test: $(INSTALLED) lint
	FTGRAPH_STRICT=$(STRICT) $(BIN)/python -m pytest

lint: $(INSTALLED)
	$(BIN)/ruff check ftgraph tests
	$(BIN)/mypy

# System packages some tests need (Debian): a SPARQL server, a headless browser, an independent RDF parser,
# Graphviz (class diagram of `ftgraph docs`).
system-deps:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		virtuoso-opensource chromium raptor2-utils graphviz fonts-dejavu-core >/dev/null

clean:
	rm -rf $(VENV) out
