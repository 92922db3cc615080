# Doorlopende Lijn: set-up, run and test. Two commands do everything: `make run`, `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
PYTEST_ARGS ?=

.PHONY: run test lint lint-py lint-bpmn typecheck pytest chromium bench clean assets pictures

$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	PYTHONWARNINGS=ignore $(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

run: $(STAMP)
	mkdir -p var
	$(BIN)/inburgering serve --demo --host 127.0.0.1 --port 8000

lint-py: $(STAMP)
	$(BIN)/ruff check engine storage webhooks app tests bench tools
	$(BIN)/ruff format --check engine storage webhooks app tests bench tools

typecheck: $(STAMP)
	$(BIN)/mypy

lint-bpmn: $(STAMP) $(NODE_STAMP)
	npx --no-install bpmnlint bpmn/*.bpmn
	node tools/check_moddle.mjs bpmn/*.bpmn
	$(BIN)/python tools/note_walk.py --check
	$(BIN)/python tools/label_check.py --flows bpmn/*.bpmn
	$(BIN)/inburgering lint bpmn

lint: lint-py typecheck lint-bpmn

assets: $(STAMP) $(NODE_STAMP)
	$(BIN)/python -m app.tasklist.assets node_modules
	$(BIN)/python -m app.api_docs node_modules

# The pictures in docs/diagrams, drawn from bpmn/*.bpmn (the timelines through the engine, the
# diagrams with bpmn-js in headless Chromium); a test fails when they are out of step.
pictures: $(STAMP) $(NODE_STAMP) chromium
	$(BIN)/python tools/journey_pictures.py
	node tools/render_diagrams.mjs
	$(BIN)/python tools/print_check.py docs/diagrams/tijdlijn_*.svg docs/diagrams/print/*.svg

chromium:
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

pytest: $(STAMP) chromium
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test: lint pytest

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) node_modules var
