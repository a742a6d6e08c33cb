# Finding Friends: the two commands of the README, and a few helpers.
#   make run    build and start the service on SQLite with demo people
#   make test   every test (SQLite; PostgreSQL too when TEST_DATABASE_URL is set)

CARGO ?= cargo
DEMO_PEOPLE ?= 2000
export FRIENDS_DATA_DIR ?= ./var

.PHONY: run test lint fmt build clean-var bench bench-full browser-tools

# One build for both commands: `cargo test --no-run` builds the `friends`
# binary with the same features as the tests (dev-dependencies unify some of
# them), so `make run` after `make test` compiles nothing, and the reverse.
# `cargo build --bin friends` would resolve other features and rebuild ~30
# crates; run the binary from target/debug instead of through `cargo run`.
build:
	$(CARGO) test --locked --workspace --no-run

run: build
	@./scripts/run-banner
	@./target/debug/friends embed-key --authority E09000027 --origin http://127.0.0.1:8080 \
	  --origin http://localhost:8080 --label "make run demo"
	FRIENDS_DEMO_PEOPLE=$${FRIENDS_DEMO_PEOPLE:-$(DEMO_PEOPLE)} ./target/debug/friends serve

test:
	rm -rf target/tmp/test-logs
	$(CARGO) test --locked --workspace
	./scripts/check-test-logs

# What the browser tests need (tests/api/browser.rs): Debian's Chromium and
# ChromeDriver, and axe-core pinned by tests/browser/package-lock.json.
# Without them those tests skip, loudly; CI installs them and sets
# REQUIRE_BROWSER=1 so that they cannot skip there.
browser-tools:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; \
	fi
	npm ci --prefix tests/browser --no-audit --no-fund

# In-process suggestion benchmark (see BENCHMARKS.md for the method).
bench:
	$(CARGO) build --locked --release --bin friends-bench
	./target/release/friends-bench --people 100000 --planted-groups 200
	./scripts/bench-http 100000

bench-full:
	$(CARGO) build --locked --release --bin friends-bench
	./target/release/friends-bench --people 1000000 --planted-groups 500 --oracle-seekers 300
	./scripts/bench-http 1000000

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings
	./scripts/check-import-cycles

fmt:
	$(CARGO) fmt --all

clean-var:
	rm -rf ./var
