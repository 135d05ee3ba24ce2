# The command index. Nothing here is needed for the README's two commands.

# Start the platform on the embedded default.
run:
    cargo run --release

# Every test on SQLite; with PostgreSQL + Redis too when they run locally.
test:
    KAIDIAN_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
    KAIDIAN_TEST_REDIS_URL=redis://127.0.0.1:6379/0 \
    cargo test --workspace

# Lints as CI runs them, plus the layering check.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings
    for crate in kernel infra tenant customer wechat catalog payment order; do \
        ! cargo tree -p $crate -e normal -i actix-web >/dev/null 2>&1 || { echo "$crate depends on actix-web"; exit 1; }; \
    done

# The WeChat sandbox, standalone.
sim:
    cargo run --release -- sim

fmt:
    cargo fmt --all

# Apply database migrations for the configured database.
migrate:
    cargo run --release -- migrate

# What CI runs.
ci:
    bash .ci/run

# The benchmark harness (release build): `just bench [scenario] [options]`, scenario one of all (the
# default), catalog, catalog-detail, catalog-list, checkout, checkout-hot, checkout-seq, flash-sale.
# It starts `kaidian serve` processes itself (SQLite + in-process cache and, when they answer,
# PostgreSQL + Redis), prints one table and writes target/bench/<scenario>-<unix time>.json and
# target/bench/latest.json. See docs/performance.md.
bench scenario="all" *args="":
    cargo build --release -p gateway --bin kaidian
    cargo run --release -p bench -- {{scenario}} {{args}}
