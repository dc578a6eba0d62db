# Set-up and entry points. `make run` and `make test` install whatever is missing first.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# System packages: zbar for pyzbar, espeak-ng for the Vietnamese voice, a font with Vietnamese
# glyphs for printed tickets. For tests: tesseract (+ Vietnamese data) reads printed tickets back,
# Chromium (+ Noto fonts) runs the browser tests; certutil (libnss3-tools) gives it the centre CA;
# postgresql gives initdb/pg_ctl for the city tests' own throwaway cluster (tests/city/conftest.py).
APT_PACKAGES := libzbar0 espeak-ng fonts-dejavu-core
APT_TEST_PACKAGES := tesseract-ocr tesseract-ocr-vie chromium fonts-noto-core libnss3-tools postgresql
STAMP := $(VENV)/.installed

.PHONY: run test install system-deps venv lint bench clean city-demo

run: install
	$(BIN)/kiosk serve --demo

test: install system-test-deps
	$(BIN)/ruff check kiosk hardware tests bench
	$(BIN)/python -m pytest -q

system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

system-test-deps:
	@missing=""; for p in $(APT_TEST_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages for tests:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(BIN)/python:
	@# Debian's own python3 needs python3-venv for this
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install -q --upgrade pip

# Re-install when the project's metadata changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	# face_recognition's metadata asks for the dlib *source* package; dlib-bin provides dlib.
	$(BIN)/pip install -q --no-deps 'face_recognition==1.3.0'
	touch $(STAMP)

install: system-deps $(STAMP)

# The city's view on one machine: PostgreSQL in a temp folder, three seeded centres shipped to it, the dashboard.
city-demo: install
	@dpkg -s postgresql >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql; }
	$(BIN)/python -m kiosk.city.demo

lint: install
	$(BIN)/ruff check kiosk hardware tests bench

bench: install
	for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b; done

clean:
	rm -rf $(VENV) *.egg-info
