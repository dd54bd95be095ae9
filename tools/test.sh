#!/usr/bin/env bash
# `make test`: formatting, lints, the template checkers, then unit, handler and
# integration tests against a fresh in-memory local DynamoDB started on a free port.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each stage is timed; the times are printed as each stage ends and together at the end.
stage_names=() stage_seconds=() stage_started=$SECONDS
end_stage() {
  if [ ${#stage_names[@]} -gt ${#stage_seconds[@]} ]; then
    stage_seconds+=($((SECONDS - stage_started)))
    printf '    (%s: %ss)\n' "${stage_names[-1]}" "${stage_seconds[-1]}"
  fi
}
step() {
  end_stage
  stage_names+=("$*") stage_started=$SECONDS
  printf '\n==> %s\n' "$*"
}
stage_times() {
  end_stage
  printf '\nStage times (s):\n'
  for i in "${!stage_seconds[@]}"; do printf '%6d  %s\n' "${stage_seconds[$i]}" "${stage_names[$i]}"; done
  printf '%6d  total\n' "$SECONDS"
}

# Dummy credentials and no AWS profile before anything that speaks AWS (SAM included).
DYNAMODB_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
TABLE_NAME=tasks-test
source tools/local-env.sh

step "cargo fmt --check"
cargo fmt --all --check
step "cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings
step "cfn-lint template.yaml"
cfn-lint template.yaml
step "sam validate --lint"
sam validate --lint
step "template as SAM translates it: security, routes and environment per parameter set"
python3 tools/check_template.py

step "local DynamoDB on 127.0.0.1:$DYNAMODB_PORT"
tools/local-dynamodb.sh "$DYNAMODB_PORT" "$TABLE_NAME"

step "make dev's stack end to end: cargo lambda watch on a free port"
API_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
TASKS_LOCAL_CALLER_ID=smoke-test setsid cargo lambda watch --features local-caller --invoke-address 127.0.0.1 \
  --invoke-port "$API_PORT" > target/smoke-watch.log 2>&1 &
stop_on_exit $!
python3 tools/smoke_local_api.py "http://127.0.0.1:$API_PORT" || { cat target/smoke-watch.log; exit 1; }

step "cargo test: unit tests, and the handler and store tests on the local DynamoDB"
log=$(mktemp)
# Plain `cargo test` runs the handler tests on the in-memory store and ignores the tests
# that need DynamoDB itself; here AWS_ENDPOINT_URL_DYNAMODB is set, so all run against it.
cargo test --workspace -- --include-ignored 2>&1 | tee "$log"

step "docs/openapi.yaml: validate, then fuzz the handlers with schemathesis"
openapi-spec-validator docs/openapi.yaml
GATEWAY_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# API Gateway's REST events, built from each HTTP request (cargo test built the example).
setsid target/debug/examples/rest_gateway "$GATEWAY_PORT" schemathesis > target/rest-gateway.log 2>&1 &
stop_on_exit $!
# ignored_auth: there is no authorizer locally (the gateway always adds the caller's claims).
# ensure_resource_availability: a replay of a keyed create answers as the first request did,
# even after that task was deleted (docs/correctness.md); hypothesis reuses small keys and bodies across
# scenarios, so this check would flag the documented behaviour. Create-then-read is covered
# by the integration tests.
# A fixed seed keeps CI reproducible; FUZZ_SEED=random explores new inputs each run (the
# seed it used is printed, to replay a failure).
FUZZ_SEED=${FUZZ_SEED:-7581397813858473702567856342583041965}
seed_args=()
[ "$FUZZ_SEED" = random ] || seed_args=(--seed "$FUZZ_SEED")
st --config-file tools/schemathesis.toml run docs/openapi.yaml "${seed_args[@]}" \
  --url "http://127.0.0.1:$GATEWAY_PORT" --checks all \
  --exclude-checks ignored_auth,ensure_resource_availability \
  --generation-with-security-parameters false --continue-on-failure --max-examples 50 \
  --generation-database none --no-color --request-timeout 30 | tee -a "$log"

# The fuzzing's cases, then one total over all cargo test binaries, last.
grep -E "^  [0-9]+ generated" "$log" | sed 's/^ */schemathesis cases: /'
stage_times
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
rm -f "$log"
