# Rill — the two commands are `make run` and `make test`; everything else is a step of those.
SHELL := /bin/bash
NODE_BIN := node_modules/.bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEBIAN_PACKAGES := kcat python3-kafka python3-confluent-kafka python3-grpcio etcd-server

.PHONY: install build test run bench clean apt

install: node_modules/.installed apt

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

build: install
	$(NODE_BIN)/tsc -p tsconfig.json

test: build
	$(NODE_BIN)/vitest run

run: build
	node dist/src/main.js serve --data-dir ./data

bench: build
	node dist/bench/storage.js $(BENCH_FLAGS)
	node dist/bench/grpc.js $(BENCH_FLAGS)
	node dist/bench/kafka.js $(BENCH_FLAGS)

clean:
	rm -rf dist bench/results
