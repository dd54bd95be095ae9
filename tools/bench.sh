#!/usr/bin/env bash
# `make bench`: release builds as Lambda gets them (cargo lambda, zip, x86_64 here), then
# tools/bench.py against a fresh in-memory local DynamoDB. Not a test: it prints figures.
set -euo pipefail
cd "$(dirname "$0")/.."

printf '==> %s\n' "release build (cargo lambda build --release: target/lambda/<name>/bootstrap)"
# The layout sam build and tools/sam-local.sh use too: cargo lambda moves each executable to
# target/lambda/<name>/bootstrap. `--bins` builds the workspace's default members (the
# functions); the floor is a binary of crates/dev-tools.
cargo lambda build --release --x86-64 --bins
cargo lambda build --release --x86-64 -p dev-tools --bin hello-floor

DYNAMODB_PORT=$(tools/free-port.sh)
TABLE_NAME=tasks-bench
source tools/local-env.sh
tools/local-dynamodb.sh "$DYNAMODB_PORT" "$TABLE_NAME"

# DynamoDB over TLS, as in AWS: a test CA made now, and a proxy whose certificate it signed.
printf '==> %s\n' "TLS proxy in front of the local DynamoDB (test CA made now)"
tls=target/bench-tls
rm -rf "$tls" && mkdir -p "$tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=task-api bench CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" \
  -keyout "$tls/ca.key" -out "$tls/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
  -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' > "$tls/server.ext"
openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial \
  -days 1 -extfile "$tls/server.ext" -out "$tls/server.pem" 2>/dev/null
cat "$tls/server.pem" "$tls/ca.pem" > "$tls/chain.pem"
TLS_PORT=$(tools/free-port.sh)
setsid python3 tools/tls_proxy.py "$TLS_PORT" "$DYNAMODB_PORT" "$tls/chain.pem" "$tls/server.key" &
stop_on_exit $!
wait_for_port "$TLS_PORT"

printf '==> %s\n' "benchmark"
python3 tools/bench.py target/lambda target/bench.json \
  --tls-endpoint "https://127.0.0.1:$TLS_PORT" --tls-ca "$tls/ca.pem" "$@"

# What a request costs, from these figures; the figures are kept beside the document so that
# `make test` can check that the two still agree.
printf '==> %s\n' "cost model (docs/cost.md)"
python3 tools/cost.py target/bench.json docs/cost.md
cp target/bench.json docs/cost-figures.json
