#!/usr/bin/env bash
# The web app's part of `make test` (web/), in two steps:
#
#   tools/web-test.sh check        the code generated from docs/openapi.yaml is not stale
#                                  (TypeScript types, Postman collection and environments),
#                                  the app type-checks against it, the production build fits
#                                  its size budget (printed), and tools/web-deploy.sh does what
#                                  it should against a stand-in AWS CLI
#   tools/web-test.sh browser      make dev's stack, fresh, on free loopback ports (moto in
#                                  memory with the stream, the bus and the live gateway,
#                                  cargo lambda watch --features local-caller, the built app
#                                  behind vite preview's /tasks and /live proxies), and the
#                                  Playwright tests in Debian's Chromium (web/tests/)
#   tools/web-test.sh screenshots  the same stack, then docs/web-*.png (web/tests/screenshots.mjs)
#
# Installs what it lacks: web/node_modules (npm ci) and Debian's chromium package (see below).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
mode=${1:?usage: tools/web-test.sh check|browser|screenshots}

make --no-print-directory -s web/node_modules/.installed # npm ci, as make test installs it

if [ "$mode" = check ]; then
  echo "--- generated from docs/openapi.yaml: up to date?"
  npm --prefix web run --silent generate:check
  echo "--- type check (tsc) against the generated types"
  npm --prefix web run --silent typecheck && echo "types: ok"
  echo "--- tools/web-deploy.sh against a stand-in AWS CLI (web/tests/fake-aws.sh): the production build, its size budget, the upload"
  FAKE_AWS_LOG=$(mktemp)
  export FAKE_AWS_LOG
  AWS_CLI="$PWD/web/tests/fake-aws.sh" tools/web-deploy.sh task-api-test > "$FAKE_AWS_LOG.out" 2>&1 ||
    { cat "$FAKE_AWS_LOG.out"; exit 1; }
  expect() { grep -qF -- "$2" "$1" || { echo "FAILED: web-deploy: $3"; cat "$FAKE_AWS_LOG" "$FAKE_AWS_LOG.out"; exit 1; }; }
  expect web/dist/config.json '"userPoolId": "eu-west-1_AbCdEf"' "config.json names the stack's user pool"
  expect web/dist/config.json '"domain": "https://task-api-test-123456789012.auth.eu-west-1.amazoncognito.com"' "config.json names managed login"
  expect web/dist/config.json '"liveUrl": "wss://abcdef1234.execute-api.eu-west-1.amazonaws.com/Prod"' "config.json names the live-update endpoint"
  expect "$FAKE_AWS_LOG" 'sync web/dist/assets s3://task-api-test-sitebucket-abc/assets --region eu-west-1 --cache-control public, max-age=31536000, immutable' "hashed assets are immutable"
  expect "$FAKE_AWS_LOG" '--exclude assets/* --delete --cache-control no-cache' "index.html and config.json are revalidated"
  expect "$FAKE_AWS_LOG" 'create-invalidation --distribution-id E2EXAMPLE --paths /*' "the cache is invalidated"
  expect "$FAKE_AWS_LOG.out" 'Add SiteUrl=https://d111111abcdef8.cloudfront.net' "it says how to turn sign-in on"
  rm -f "$FAKE_AWS_LOG" "$FAKE_AWS_LOG.out" web/dist/config.json
  echo "web-deploy: config.json, uploads and invalidation as expected"
  echo "--- the production build's size (built by web-deploy.sh, which fails over the budget)"
  (cd web && node scripts/size.mjs)
  exit 0
fi
[ "$mode" = browser ] || [ "$mode" = screenshots ] || { echo "unknown mode $mode" >&2; exit 2; }

# Debian's Chromium (Playwright's own browser download is not used); elsewhere (a CI runner
# that is not Debian, say) a Chromium or Chrome already on PATH; CHROMIUM=... names one.
if [ -z "${CHROMIUM:-}" ]; then
  CHROMIUM=/usr/bin/chromium
  if [ ! -x "$CHROMIUM" ]; then
    for candidate in google-chrome-stable google-chrome chromium chromium-browser; do
      if command -v "$candidate" > /dev/null; then CHROMIUM=$(command -v "$candidate"); break; fi
    done
  fi
fi
export CHROMIUM
if [ ! -x "$CHROMIUM" ] && [ "$CHROMIUM" = /usr/bin/chromium ] && command -v apt-get > /dev/null; then
  as_root=()
  [ "$(id -u)" = 0 ] || as_root=(sudo -n)
  if [ "$(id -u)" = 0 ] || sudo -n true 2> /dev/null; then
    echo "--- $CHROMIUM is missing: installing Debian's chromium package"
    started=$SECONDS
    "${as_root[@]}" apt-get update -qq
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium > /dev/null
    echo "chromium installed in $((SECONDS - started)) s"
  fi
fi
if [ ! -x "$CHROMIUM" ]; then
  echo "FAILED: the browser tests need Chromium at $CHROMIUM. Install Debian's package" \
    "(as root: apt-get install chromium) or set CHROMIUM to a Chromium or Chrome binary." >&2
  exit 1
fi
"$CHROMIUM" --version 2> /dev/null | head -1 || true

DYNAMODB_PORT=$(tools/free-port.sh) EVENTS_PORT=$(tools/free-port.sh)
TABLE_NAME=tasks-web
source tools/local-env.sh
API_PORT=$(tools/free-port.sh)
WEB_PORT=$(tools/free-port.sh)
LIVE_PORT=$(tools/free-port.sh) LIVE_MANAGEMENT_PORT=$(tools/free-port.sh)
mkdir -p target

# make dev's pipeline, in memory: the table's stream read into task-events, which puts the
# events on the local bus, whose rule feeds live-fanout (tools/local_websocket.py): the live
# updates' tests need it end to end.
local_aws="http://127.0.0.1:$EVENTS_PORT"
export AWS_ENDPOINT_URL_EVENTBRIDGE=$local_aws AWS_ENDPOINT_URL_SQS=$local_aws AWS_ENDPOINT_URL_SCHEDULER=$local_aws \
  AWS_ENDPOINT_URL_LAMBDA="http://127.0.0.1:$API_PORT" \
  AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI="http://127.0.0.1:$LIVE_MANAGEMENT_PORT" LIVE_PORT LIVE_MANAGEMENT_PORT
export EVENT_BUS_NAME=tasks-web REMINDER_SENDER= REMINDER_SCHEDULE_GROUP=tasks-web-reminders \
  REMINDER_TARGET_ARN=arn:aws:lambda:us-east-1:123456789012:function:task-reminders \
  REMINDER_ROLE_ARN=arn:aws:iam::123456789012:role/tasks-local-scheduler TASKS_LOCAL_CALLER_ID=web-test
echo "--- local DynamoDB with its stream (moto) on 127.0.0.1:$DYNAMODB_PORT, EventBridge and SQS on 127.0.0.1:$EVENTS_PORT"
setsid python3 tools/local_moto.py -H 127.0.0.1 -p "$DYNAMODB_PORT" > target/web-moto-dynamodb.log 2>&1 &
stop_on_exit $!
setsid moto_server -H 127.0.0.1 -p "$EVENTS_PORT" > target/web-moto.log 2>&1 &
stop_on_exit $!
wait_for_port "$DYNAMODB_PORT"
python3 tools/create_table.py "$AWS_ENDPOINT_URL_DYNAMODB" "$TABLE_NAME" --stream
python3 tools/local_eventbridge.py setup "$EVENT_BUS_NAME" task-events-web
REMINDER_DEAD_LETTER_ARN=$(python3 tools/local_scheduler.py setup "$REMINDER_SCHEDULE_GROUP" tasks-web-reminders-dlq)
export REMINDER_DEAD_LETTER_ARN
ready=$(mktemp -d)
setsid python3 tools/local_stream.py --ready "$ready/stream" > target/web-stream.log 2>&1 &
stop_on_exit $!
echo "--- live updates: tools/local_websocket.py on 127.0.0.1:$LIVE_PORT (management API :$LIVE_MANAGEMENT_PORT)"
setsid python3 tools/local_websocket.py --ready "$ready/live" > target/web-live.log 2>&1 &
stop_on_exit $!
for _ in $(seq 300); do [ -e "$ready/stream" ] && [ -e "$ready/live" ] && break; sleep 0.1; done
[ -e "$ready/stream" ] && [ -e "$ready/live" ] || { tail -n 20 target/web-stream.log target/web-live.log; exit 1; }
rm -rf "$ready"
echo "--- API: cargo lambda watch on 127.0.0.1:$API_PORT"
# --ignore-changes: a file saved meanwhile (the build below, an editor) must not restart the
# functions in the middle of a test.
setsid cargo lambda watch --features local-caller --ignore-changes \
  --invoke-address 127.0.0.1 --invoke-port "$API_PORT" > target/web-watch.log 2>&1 &
stop_on_exit $!
echo "--- the built app: vite preview on 127.0.0.1:$WEB_PORT, /tasks proxied to the API"
(cd web && node_modules/.bin/vite build --logLevel warn)
(cd web && API_URL="http://127.0.0.1:$API_PORT" LIVE_URL="ws://127.0.0.1:$LIVE_PORT" WEB_PORT=$WEB_PORT exec setsid node_modules/.bin/vite preview) \
  > target/web-preview.log 2>&1 &
stop_on_exit $!

export WEB_URL="http://127.0.0.1:$WEB_PORT" API_URL="http://127.0.0.1:$API_PORT" LIVE_MANAGEMENT_URL="http://127.0.0.1:$LIVE_MANAGEMENT_PORT"
if [ "$mode" = screenshots ]; then
  node web/tests/screenshots.mjs
  exit 0
fi
# A failed test runs once more on its own. One that then passes is reported as flaky, with
# its first failure printed in full: CI stays green, the flake stays visible. One that fails
# twice fails the stage, its failures printed last, where a CI summary looks.
run_tests() { # $1: the TAP report; further arguments go to node --test
  local report=$1
  shift
  (cd web && node --test --test-concurrency=1 --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$report" "$@" tests/)
}
count() { sed -n "s/^# $1 \([0-9]*\)$/\1/p" "$2"; }
# The TAP block of each failed top-level test: its name, then the error and where it was raised.
failures() { awk '/^not ok / { p = 1; print; next } /^(# Subtest:|ok |1\.\.)/ { p = 0 } p' "$1"; }
report=$(mktemp) retry_report=$(mktemp)
status=0
run_tests "$report" || status=$?
passed=$(count pass "$report") failed=$(count fail "$report") flaky=0
if [ "$status" != 0 ]; then
  echo "--- last lines of the API's log (target/web-watch.log)"
  tail -n 30 target/web-watch.log
  mapfile -t names < <(sed -n 's/^not ok [0-9]* - //p' "$report")
  if [ "${#names[@]}" -gt 0 ] && [ "${#names[@]}" -le 2 ]; then
    pattern=$(printf '%s\n' "${names[@]}" | node -e '
      const names = require("fs").readFileSync(0, "utf8").trim().split("\n");
      console.log("^(" + names.map((n) => n.replace(/[.*+?^${}()|[\]\\\/]/g, "\\$&")).join("|") + ")$");')
    echo "--- once more, on their own: ${names[*]}"
    if run_tests "$retry_report" --test-name-pattern="$pattern" && [ "$(count fail "$retry_report")" = 0 ]; then
      flaky=${#names[@]} failed=0 status=0 passed=$((passed + flaky))
    fi
  fi
  echo "--- the first failure of each test that failed"
  failures "$report"
fi
rm -f "$report" "$retry_report"
note=""
[ "$flaky" = 0 ] || note=", $flaky of them flaky (failed once, passed on retry)"
echo "browser tests: ${passed:-0} passed, ${failed:-0} failed$note"
exit "$status"
