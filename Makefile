# Rill — the two commands are `make run` and `make test`; everything else is a step of those.
SHELL := /bin/bash
NODE_BIN := node_modules/.bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEBIAN_PACKAGES := kcat python3-kafka python3-confluent-kafka python3-grpcio etcd-server

.PHONY: install deps link build test test-faults run cluster cluster-stop cluster-status bench clean apt

install: deps link build

deps: node_modules/.installed apt

# Puts `rill` on the PATH: links bin/rill (which runs this checkout's dist/src/main.js) into
# $(PREFIX)/bin — a symlink, no npm link, no global install.
PREFIX ?= $(HOME)/.local
link:
	@mkdir -p $(PREFIX)/bin
	ln -sfn $(CURDIR)/bin/rill $(PREFIX)/bin/rill
	@case ":$$PATH:" in *":$(PREFIX)/bin:"*) ;; *) echo "note: $(PREFIX)/bin is not on your PATH; add it to use rill";; esac

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# Debian packages the tests use, installed only when missing.
apt:
	@missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

build: deps
	$(NODE_BIN)/tsc -p tsconfig.json

test: build
	$(NODE_BIN)/vitest run

# The long forms of the fault and soak tests whose short forms run in `make test`: thousands of
# power cuts, dozens of fault-point seeds, long property runs. A failing seed is printed.
test-faults: build
	RILL_POWERCUT_RUNS=20000 RILL_FAULT_SEEDS=40 RILL_PROPERTY_RUNS=2000 RILL_REPLICATION_FAULT_RUNS=5 RILL_GROUP_FAILOVER_RUNS=5 $(NODE_BIN)/vitest run test/fault test/unit/storage test/integration/cluster/group-failover.test.ts

run: build
	node dist/src/main.js serve --data-dir ./data

# Three brokers and etcd on this machine, in the background, data and logs under ./cluster
# (bin/rill-cluster; RILL_CLUSTER_DIR, RILL_CLUSTER_BASE_PORT, RILL_CLUSTER_ETCD_PORT move them).
cluster: build
	bin/rill-cluster start

cluster-stop:
	bin/rill-cluster stop

cluster-status:
	bin/rill-cluster status

bench: build
	node dist/bench/storage.js $(BENCH_FLAGS)
	node dist/bench/grpc.js $(BENCH_FLAGS)
	node dist/bench/kafka.js $(BENCH_FLAGS)
	node dist/bench/compaction.js $(BENCH_FLAGS)
	node dist/bench/recovery.js $(BENCH_FLAGS)
	node dist/bench/replication.js $(BENCH_FLAGS)
	node dist/bench/controller-failover.js $(BENCH_FLAGS)
	node dist/bench/partitions.js $(BENCH_FLAGS)
	node dist/bench/latency.js $(BENCH_FLAGS)
	node --expose-gc dist/bench/embedded.js $(BENCH_FLAGS)

clean:
	rm -rf dist bench/results
