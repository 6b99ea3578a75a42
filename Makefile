# Tessera: `make run` builds and starts it; `make test` runs every test. Both install whatever is
# missing first (README, "Toolchain notes", says why these exact versions).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

CARGO_LEPTOS_VERSION := 0.3.10
WASM_BINDGEN_VERSION := $(shell awk '/^name = "wasm-bindgen"$$/ {getline; gsub(/"/, "", $$3); print $$3; exit}' Cargo.lock)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

export PATH := $(HOME)/.cargo/bin:$(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: run test bench tools tools-test build lint unit e2e clean

## Build (release, precompressed assets) and serve on http://127.0.0.1:3000 (or $TESSERA_ADDR) with SQLite in ./data.
run: tools build
	LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_ADDR=$${LEPTOS_SITE_ADDR:-127.0.0.1:3000} ./target/release/tessera

## Everything: formatting, lints (both feature sets), unit, store (SQLite + PostgreSQL), HTTP and browser tests.
## PostgreSQL: TESSERA_TEST_POSTGRES_URL if set, else a throw-away server of the tests' own
## (.ci/with-postgres), checked before anything is compiled.
test: tools-test
	.ci/with-postgres $(MAKE) tools lint unit build e2e

## Measure speed and memory on this machine against its own limits; writes BENCHMARKS.md (not part of `test`).
bench: tools build
	cargo bench -p tessera-server --bench load

tools:
	@node --version | awk -F'[v.]' '$$2 < 20 { print "Node.js " $$0 " is too old: install Node.js 20 or later (see README)." > "/dev/stderr"; exit 1 }'
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@rustup component list --installed | grep -q '^clippy' || rustup component add clippy
	@rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
	@cargo leptos --version 2>/dev/null | grep -qx "cargo-leptos $(CARGO_LEPTOS_VERSION)" \
		|| cargo install --locked cargo-leptos --version $(CARGO_LEPTOS_VERSION)
	@wasm-bindgen --version 2>/dev/null | grep -q "wasm-bindgen $(WASM_BINDGEN_VERSION)" \
		|| cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION)
	@[ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund

tools-test:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update && $(SUDO) apt-get install -y chromium; }
	@command -v psql >/dev/null || { $(SUDO) apt-get update && $(SUDO) apt-get install -y postgresql-client; }
	@command -v haproxy >/dev/null || { $(SUDO) apt-get update && $(SUDO) apt-get install -y haproxy; }

build:
	cargo leptos build --release --precompress

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --features ssr -- -D warnings
	cargo clippy -p tessera -p tessera-app --all-targets --features hydrate -- -D warnings
	npx tsc --noEmit -p end2end

# One feature set for the whole workspace: the three crates' tests share one build.
unit:
	cargo test --workspace --features ssr

e2e:
	npx playwright test -c end2end/playwright.config.ts

clean:
	rm -rf target/site end2end/.tmp end2end/test-results
