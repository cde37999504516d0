# Shortcuts for the project's scripts; each target is one command a newcomer
# could type instead (see README.md).
.PHONY: demo test bench fuzz

demo:
	scripts/demo

test:
	scripts/test

bench:
	scripts/bench

# FUZZTIME bounds each fuzz target, e.g. make fuzz FUZZTIME=10m.
FUZZTIME ?= 1m
fuzz:
	scripts/fuzz $(FUZZTIME)
