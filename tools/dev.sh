#!/usr/bin/env bash
# `make dev`: local DynamoDB (data kept in .dynamodb/), a local EventBridge for task-events,
# and the functions under `cargo lambda watch`, which rebuilds on change and routes /tasks
# like API Gateway.
set -euo pipefail
cd "$(dirname "$0")/.."
DYNAMODB_PORT=${DYNAMODB_PORT:-8000}
source tools/local-env.sh
# The caller every local request acts as (no Cognito locally). Only local tooling sets it.
export TASKS_LOCAL_CALLER_ID=${TASKS_LOCAL_CALLER_ID:-local-developer}

tools/local-dynamodb.sh "$DYNAMODB_PORT" "$TABLE_NAME" .dynamodb
echo "DynamoDB (dynalite) on 127.0.0.1:$DYNAMODB_PORT, table $TABLE_NAME, data in .dynamodb/"

# task-events publishes to this local EventBridge (moto, in memory), never to AWS; a rule
# copies every event to an SQS queue that `tools/local_eventbridge.py receive` prints.
EVENTS_PORT=${EVENTS_PORT:-8001}
export EVENT_BUS_NAME=${EVENT_BUS_NAME:-tasks-local}
export AWS_ENDPOINT_URL_EVENTBRIDGE="http://127.0.0.1:$EVENTS_PORT" AWS_ENDPOINT_URL_SQS="http://127.0.0.1:$EVENTS_PORT"
mkdir -p target
setsid moto_server -H 127.0.0.1 -p "$EVENTS_PORT" > target/moto-dev.log 2>&1 &
moto=$!
stop_on_exit $moto
if ! python3 tools/local_eventbridge.py setup "$EVENT_BUS_NAME" task-events-local || ! kill -0 $moto 2>/dev/null; then
  echo "moto did not start on 127.0.0.1:$EVENTS_PORT: is the port free? (EVENTS_PORT=...)" >&2
  cat target/moto-dev.log >&2; exit 1
fi
echo "EventBridge (moto) on 127.0.0.1:$EVENTS_PORT, bus $EVENT_BUS_NAME; events copied to queue task-events-local"
echo "API on http://127.0.0.1:${PORT:-9000}/tasks as caller $TASKS_LOCAL_CALLER_ID (Ctrl-C stops them all)"
# The web app (web/), served by Vite with reload on save; it proxies /tasks to the API, so
# the page and the API share one origin, as behind CloudFront. Stopped on exit, as the others.
(cd web && API_URL="http://127.0.0.1:${PORT:-9000}" WEB_PORT="${WEB_PORT:-5173}" exec setsid node_modules/.bin/vite --logLevel warn) &
stop_on_exit $!
echo "Web app on http://127.0.0.1:${WEB_PORT:-5173}/ (reloads when a file in web/ is saved)"
# Only a build with the local-caller feature honours TASKS_LOCAL_CALLER_ID.
cargo lambda watch --features local-caller --invoke-address 127.0.0.1 --invoke-port "${PORT:-9000}"
