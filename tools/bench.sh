#!/usr/bin/env bash
# `make bench`: release builds as Lambda gets them (cargo lambda, zip, x86_64 here), then
# tools/bench.py against a fresh in-memory local DynamoDB. Not a test: it prints figures.
set -euo pipefail
cd "$(dirname "$0")/.."

printf '==> %s\n' "release build (cargo lambda build --release --x86-64 --output-format zip)"
# Two runs: given an example, cargo lambda packages only the example.
cargo lambda build --release --x86-64 --output-format zip --bins
cargo lambda build --release --x86-64 --output-format zip --example hello_floor

DYNAMODB_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
TABLE_NAME=tasks-bench
source tools/local-env.sh
tools/local-dynamodb.sh "$DYNAMODB_PORT" "$TABLE_NAME"

printf '==> %s\n' "benchmark"
python3 tools/bench.py target/x86_64-unknown-linux-gnu/release target/lambda target/bench.json "$@"
