# avbook: `make reproduce` (the main job) and `make test` (every check CI runs). Both set everything up first.
SHELL := /bin/bash
export PATH := $(CURDIR)/.venv/bin:$(PATH)
export MPLBACKEND := agg
SCALE ?= full
SEED ?= 0
SEEDS ?= 1 2

.PHONY: setup test reproduce reproduce-seeds report docs clean-cache sync
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

# The same artifacts with other training seeds (claims must not depend on one draw): results/seeds/seed<k>/, shown in the report.
reproduce-seeds: setup
	@for s in $(SEEDS); do avbook-reproduce --scale $(SCALE) --seed $$s --out-dir results/seeds/seed$$s --executed-dir "$$(mktemp -d)" || exit 1; done
	@avbook-report --results results --out nbs/report.md --notebooks nbs/reproductions

report: setup
	@avbook-report --results results --out nbs/report.md --notebooks nbs/reproductions

sync: setup
	@nbdev-export && nbdev-clean && python tools/make_readme.py

docs: setup
	@nbdev-docs

clean-cache: setup
	@avbook-cache clear
