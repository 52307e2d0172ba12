# Qunzu — the whole set-up is `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium

.PHONY: run test lint bench bench-review browser clean-var

$(STAMP): pyproject.toml setup.py src/qunzu/review/_native.c
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null || { echo "Python 3.11, 3.12 or 3.13 is needed ($(PYTHON) not found; set PYTHON=python3.12 or python3.13 to use another)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@# the review engine's lexicon-independent tables (characters, words, pinyin), built once with the install
	$(BIN)/python -c "from qunzu.review.compiler import build_base; build_base()"
	@touch $(STAMP)

# Debian's Chromium and CJK fonts for the browser tests (never `playwright install`: it downloads).
browser:
	@if [ ! -x $(CHROMIUM) ] || ! fc-list 2>/dev/null | grep -qi 'noto.*cjk'; then \
	  echo "installing Debian's chromium and fonts-noto-cjk"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; fi; \
	fi

run: $(STAMP)
	@mkdir -p var
	$(BIN)/qunzu migrate
	@$(BIN)/qunzu admin bootstrap
	$(BIN)/qunzu serve

test: $(STAMP) browser
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy src/qunzu/domain src/qunzu/review src/qunzu/realtime
	$(BIN)/pytest -q -p no:cacheprovider -n auto --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy src/qunzu/domain src/qunzu/review src/qunzu/realtime

# Against a running server (make run, or QUNZU_BENCH_URL=http://host:port).
bench: $(STAMP)
	$(BIN)/python -m bench.load $(BENCH_ARGS)

bench-review: $(STAMP)
	$(BIN)/python bench/review_bench.py $(BENCH_ARGS)

clean-var:
	rm -rf var
