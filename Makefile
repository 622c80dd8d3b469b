# Jingwu — entry points. Everything the project needs is fetched/built by its own scripts into .cache/
# (git-ignored, pinned, reused), runtime state goes to .data/.
#   make run    fresh machine → Kafka + FerretDB + services for demo district 01, Ctrl-C stops all
#   make test   everything CI runs: lint (ruff, mypy, buf lint + breaking), contracts check, all tests
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

UV_VERSION := 0.13.8
CACHE := .cache
UV := $(CACHE)/uv-venv/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := 3.11
export UV_CACHE_DIR ?= $(CURDIR)/$(CACHE)/uv
STAMP_GEN := services/contracts/src/jingwu/.generated
PROTOS := $(shell find proto -name '*.proto')

.PHONY: help bootstrap sync gen fetch lint fmt test test-fast bench fuzz faults soak run infra-up infra-down infra-status docs k8s-up k8s-down clean

help:
	@echo "make run        start Kafka, FerretDB and the services for demo district 01 (Ctrl-C stops)"
	@echo "make test       lint + contract checks + every test (what CI runs)"
	@echo "make infra-up   start Kafka + FerretDB in the background; make infra-down stops them"
	@echo "make lint       ruff, mypy, buf lint, buf breaking against main"
	@echo "make gen        regenerate Python code from proto/;  make docs  regenerate docs/events.md"
	@echo "make bench      the benchmarks (BENCH=<name> for one); figures in docs/benchmarks.md"
	@echo "make faults    the fault suite at full size (FAULT_SCALE=full): lost / duplicated / crashed per fault"
	@echo "make soak       the platform under a steady fleet and RPC load for SOAK_MINUTES (30): memory and lag flat?"
	@echo "make fuzz       every gRPC method, Kafka consumer and telemetry input on random input (FUZZ_EXAMPLES=, FUZZ_RECORDS=)"

# uv itself, pinned, from PyPI into a private venv (no installer scripts).
$(UV):
	@command -v python3 >/dev/null || { echo "error: python3 (3.11) is required" >&2; exit 1; }
	python3 -m venv $(CACHE)/uv-venv
	$(CACHE)/uv-venv/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

bootstrap: $(UV)

.venv/.synced: $(UV) uv.lock pyproject.toml $(wildcard services/*/pyproject.toml)
	$(UV) sync --frozen
	@touch $@

sync: .venv/.synced

$(STAMP_GEN): .venv/.synced $(PROTOS) services/contracts/generate.py
	$(UV) run --frozen python services/contracts/generate.py | grep -v '^Writing mypy' || true
	@test -f services/contracts/src/jingwu/__init__.py
	@touch $@

gen: $(STAMP_GEN)

# Kafka jars (Maven Central); FerretDB launcher, buf and helm (Go module proxy), cached under .cache/.
fetch: sync
	$(UV) run --frozen devstack fetch all

docs: gen fetch
	$(UV) run --frozen python services/contracts/catalogue.py
	$(UV) run --frozen python services/contracts/asyncapi.py

lint: gen fetch
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen mypy
	cd proto && ../$(CACHE)/bin/buf lint
	@# Breaking-change check against the main branch (the working tree against what main has).
	cd proto && if git rev-parse --verify --quiet main >/dev/null; then \
	  ../$(CACHE)/bin/buf breaking --against '../.git#branch=main,subdir=proto'; \
	else echo "buf breaking: no local main branch, skipped"; fi

fmt: sync
	$(UV) run --frozen ruff format .
	$(UV) run --frozen ruff check --fix .

# The tests run as two pytest sessions, each with its own Kafka and FerretDB: a session hands every test
# its own two-digit district code (10–98, topics and databases never collide), and one session of every
# suite would need more than 89 of them (99 is the fuzz stack's, e2e/fuzz).
TEST_SESSIONS := \
  "services/cli services/console services/contracts services/devstack services/notification services/patrol services/personnel services/platform" \
  "services/population services/rooms services/telemetry operators e2e"

test: lint
	$(UV) run --frozen python -m jingwu_devstack.kube fetch
	@status=0; for paths in $(TEST_SESSIONS); do echo "pytest $$paths"; \
	  $(UV) run --frozen pytest $$paths || status=1; done; exit $$status

test-fast: gen
	@for paths in $(TEST_SESSIONS); do $(UV) run --frozen pytest -m "not e2e and not kube" $$paths || exit 1; done

# Benchmarks (never part of make test): each prints a Markdown table; the output of this run goes to
# .data/bench/<name>.md, and docs/benchmarks.md holds the figures with the machine they were measured on.
# BENCH=<name> runs one of them. The population benchmark loads 1,000,000 residents (about 10 minutes on 2 cores, docs/benchmarks.md).
BENCHES := metrics_path kafka_path store_id_lookups territory_events bench_evidence bench_population codec gateway consumer latency
BENCH ?= $(BENCHES)
bench: gen fetch
	@mkdir -p .data/bench
	@for name in $(BENCH); do echo "== bench $$name (output: .data/bench/$$name.md)"; case $$name in \
	  metrics_path|kafka_path|store_id_lookups) script=services/platform/bench/$$name.py; args= ;; \
	  territory_events) script=services/personnel/bench/$$name.py; args= ;; \
	  bench_evidence) script=services/patrol/bench/$$name.py; args= ;; \
	  bench_population) script=services/population/bench/$$name.py; args= ;; \
	  codec|gateway|consumer|latency) script=services/telemetry/bench/bench_telemetry.py; args=$$name ;; \
	  *) echo "unknown benchmark $$name (one of: $(BENCHES))" >&2; exit 2 ;; esac; \
	  $(UV) run --frozen python $$script $$args | tee .data/bench/$$name.md; done

# Fuzzing (e2e/fuzz): every served gRPC method on requests generated from its descriptor, every Kafka
# consumer on junk records, the JT/T 808 decoder, the gateway's TCP loop and the handheld HTTP endpoint,
# against a stack of its own; ends with one table (inputs, rejections, crashes, hangs). A bounded run of
# the same tests is part of make test (e2e is in its pytest sessions); this is the long one. Sizes:
# FUZZ_EXAMPLES (requests per gRPC method; ×50 decoder inputs, ×10,000 coverage-guided (atheris) decoder
# inputs, ×10 HTTP requests, ×5 TCP connections)
# and FUZZ_RECORDS (junk records of each kind per consumed topic).
FUZZ_EXAMPLES ?= 100
FUZZ_RECORDS ?= 10
fuzz: gen fetch
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_RECORDS=$(FUZZ_RECORDS) $(UV) run --frozen pytest -m fuzz e2e/fuzz

# The fault suite (tests marked faults, in every package): consumers SIGKILLed, the broker restarted, the
# store away, a crash between write and outbox publish, a webhook receiver down past its retry budget, a
# network partition to Kafka. make test runs them at a reduced size; here FAULT_SCALE=full (e.g. the
# SIGKILL run over 1,000,000 fixes). Ends with one table: lost, duplicated, crashed for each fault.
faults: gen fetch
	FAULT_SCALE=full $(UV) run --frozen pytest -m faults services e2e

# The soak run (e2e/soak): its own Kafka, FerretDB, demo district 01's services, the city's gateways,
# the simulator's fleet at SOAK_DEVICES devices reporting at 1 Hz and SOAK_RPS gRPC calls a second, for
# SOAK_MINUTES, sampled every SOAK_SAMPLE_S s: RSS per process, lag per consumer group, fixes stored/s,
# RPC answers and errors. CSV, charts and summary.md go to .data/soak/ (the charts to docs/soak/ with
# SOAK_PUBLISH=1); exits non-zero when a verdict fails (memory or lag not flat, an RPC error).
# 50 devices by default: what this machine registers and keeps up with (why: e2e/soak/run_soak.py).
SOAK_MINUTES ?= 30
SOAK_DEVICES ?= 50
SOAK_SAMPLE_S ?= 10
SOAK_RPS ?= 4
SOAK_PUBLISH ?=
soak: gen fetch
	SOAK_MINUTES=$(SOAK_MINUTES) SOAK_DEVICES=$(SOAK_DEVICES) SOAK_SAMPLE_S=$(SOAK_SAMPLE_S) SOAK_RPS=$(SOAK_RPS) \
	  SOAK_PUBLISH=$(SOAK_PUBLISH) $(UV) run --frozen python e2e/soak/run_soak.py

run: gen fetch
	$(UV) run --frozen python -m jingwu_devstack.run

infra-up: fetch
	$(UV) run --frozen devstack up

infra-down: sync
	$(UV) run --frozen devstack down

infra-status: sync
	$(UV) run --frozen devstack status

k8s-up: sync
	$(UV) run --frozen python -m jingwu_devstack.kube up

k8s-down: sync
	$(UV) run --frozen python -m jingwu_devstack.kube down

clean:
	rm -rf .venv services/contracts/src/jingwu .mypy_cache .ruff_cache .pytest_cache
