# The README's commands. Everything a fresh machine needs is installed from here.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: demo app test lint bench soak chromium venv clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[notebooks,test,browser]'
	touch $(STAMP)

venv: $(STAMP)

# Debian's Chromium for the browser tests (never `playwright install`: it downloads a browser).
chromium:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "Chromium is not installed and apt-get as root is not available: browser tests will be skipped."; fi

demo: venv
	$(VENV)/bin/adstudio-nb demo

app: venv
	$(VENV)/bin/adstudio-nb app

test: venv chromium
	$(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check adstudio_nb tests benchmarks
	$(VENV)/bin/ruff format --check adstudio_nb tests benchmarks
	$(VENV)/bin/mypy
	$(VENV)/bin/nbstripout --verify notebooks/*.ipynb

bench: venv
	$(PY) -m benchmarks

soak: venv
	$(PY) -m tests.reliability.soak

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
