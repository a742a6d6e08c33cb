# Finding Friends: the two commands of the README, and a few helpers.
#   make run    build and start the service on SQLite with demo people
#   make test   every test (SQLite; PostgreSQL too when TEST_DATABASE_URL is set)

CARGO ?= cargo
DEMO_PEOPLE ?= 2000
export FRIENDS_DATA_DIR ?= ./var

.PHONY: run test lint fmt build clean-var bench bench-full

build:
	$(CARGO) build --locked --bin friends

run: build
	@./scripts/run-banner
	FRIENDS_DEMO_PEOPLE=$${FRIENDS_DEMO_PEOPLE:-$(DEMO_PEOPLE)} $(CARGO) run --locked --quiet --bin friends -- serve

test:
	rm -rf target/tmp/test-logs
	$(CARGO) test --locked --workspace
	./scripts/check-test-logs

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

fmt:
	$(CARGO) fmt --all

clean-var:
	rm -rf ./var
