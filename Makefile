# avbook: `make reproduce` (the main job) and `make test` (every check CI runs). Both set everything up first.
SHELL := /bin/bash
export PATH := $(CURDIR)/.venv/bin:$(PATH)
export MPLBACKEND := agg
SCALE ?= full
SEED ?= 0

.PHONY: setup test reproduce report docs clean-cache sync
setup:
	@bash tools/setup.sh

test: setup
	@bash tools/test.sh

# Results go to results/<paper>/<artifact>.json; the executed notebooks become pages of the docs site under nbs/reproductions/.
reproduce: setup
	@avbook-reproduce --scale $(SCALE) --seed $(SEED) --out-dir results --executed-dir nbs/reproductions
	@nbdev-clean --fname nbs/reproductions
	@find nbs/reproductions -mindepth 1 -type d -exec touch {}/.notest \;   # nbdev-test skips them (papermill tests them)
	@avbook-report --results results --out nbs/report.md --notebooks nbs/reproductions

report: setup
	@avbook-report --results results --out nbs/report.md --notebooks nbs/reproductions

sync: setup
	@nbdev-export && nbdev-clean && python tools/make_readme.py

docs: setup
	@nbdev-docs

clean-cache: setup
	@avbook-cache clear
