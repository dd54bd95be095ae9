#!/usr/bin/env bash
# `make dev`: the functions under `cargo lambda watch` (rebuilt on change, /tasks routed like
# API Gateway), the web app, and every AWS service they use, on loopback only:
# - DynamoDB with the table's stream: moto on DYNAMODB_PORT (8000), through tools/local_moto.py
#   (which keeps its memory flat under the stream readers); the table's items and the reminder
#   schedules are kept in .dynamodb/ by tools/local_state.py (which says what a crash loses);
# - EventBridge, SQS, Scheduler, SES and Cognito: a second moto on EVENTS_PORT (8001), in memory.
#   Two servers, not one: the addresses stay what they were (tools/sam-local-env.json), and the
#   mailbox's /moto-api/data.json does not carry the whole table;
# - what moto does not do: the stream's mapping to task-events (tools/local_stream.py), the
#   firing of reminder schedules (tools/local_scheduler.py), and the live updates' WebSocket
#   gateway with its feed of live-fanout (tools/local_websocket.py).
set -euo pipefail
cd "$(dirname "$0")/.."
DYNAMODB_PORT=${DYNAMODB_PORT:-8000} EVENTS_PORT=${EVENTS_PORT:-8001} PORT=${PORT:-9000} WEB_PORT=${WEB_PORT:-5173}
LIVE_PORT=${LIVE_PORT:-9001} LIVE_MANAGEMENT_PORT=${LIVE_MANAGEMENT_PORT:-$((LIVE_PORT + 1))}
source tools/local-env.sh
local_aws="http://127.0.0.1:$EVENTS_PORT"
export AWS_ENDPOINT_URL_EVENTBRIDGE=$local_aws AWS_ENDPOINT_URL_SQS=$local_aws AWS_ENDPOINT_URL_SCHEDULER=$local_aws \
  AWS_ENDPOINT_URL_SES=$local_aws AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER=$local_aws \
  AWS_ENDPOINT_URL_LAMBDA="http://127.0.0.1:$PORT" \
  AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI="http://127.0.0.1:$LIVE_MANAGEMENT_PORT" LIVE_PORT LIVE_MANAGEMENT_PORT

mkdir -p target
for port in "$DYNAMODB_PORT" "$EVENTS_PORT" "$LIVE_PORT" "$LIVE_MANAGEMENT_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "127.0.0.1:$port is taken (another make dev?): DYNAMODB_PORT=... EVENTS_PORT=... LIVE_PORT=... make dev" >&2; exit 1
  fi
done
# One make dev per checkout, whatever its ports: two would keep their tables in the same
# .dynamodb/, each overwriting the other's. The lock goes when the last of its processes does.
mkdir -p .dynamodb
exec 9> .dynamodb/make-dev.lock
flock -n 9 || { echo "another make dev is running from this checkout (it holds .dynamodb/make-dev.lock): stop it first" >&2; exit 1; }
setsid python3 tools/local_moto.py -H 127.0.0.1 -p "$DYNAMODB_PORT" > target/moto-dynamodb-dev.log 2>&1 &
dynamodb=$!
stop_on_exit $dynamodb
setsid moto_server -H 127.0.0.1 -p "$EVENTS_PORT" > target/moto-dev.log 2>&1 &
moto=$!
stop_on_exit $moto
failed() {
  echo "$1" >&2
  for log in target/moto-dynamodb-dev.log target/moto-dev.log; do echo "--- $log" >&2; tail -n 20 "$log" >&2; done
  exit 1
}

# Reminders' mail: a sender verified in SES (REMINDER_SENDER= make dev: no mail, the event
# alone) and a user pool holding the local caller, whose address the mail goes to. A Cognito
# user's id (sub) is generated: the local caller is that sub (the same at every start), unless
# TASKS_LOCAL_CALLER_ID says otherwise. First on the fresh server: it seeds moto's ids.
export REMINDER_SENDER=${REMINDER_SENDER-reminders@localhost.test}
local_email=local-developer@localhost.test
read -r USER_POOL_ID local_sub < <(python3 tools/local_mailbox.py setup "$REMINDER_SENDER" "$local_email") ||
  failed "moto did not start on 127.0.0.1:$EVENTS_PORT: is the port free? (EVENTS_PORT=...)"
export USER_POOL_ID WEB_APP_URL="http://127.0.0.1:$WEB_PORT"
export TASKS_LOCAL_CALLER_ID=${TASKS_LOCAL_CALLER_ID:-$local_sub}

# task-events publishes to the bus; a rule copies every event to a queue that
# `tools/local_eventbridge.py receive` prints. It schedules reminders in the group below, to
# be fired at task-reminders (served by cargo lambda watch, as AWS_ENDPOINT_URL_LAMBDA).
export EVENT_BUS_NAME=${EVENT_BUS_NAME:-tasks-local}
export REMINDER_SCHEDULE_GROUP=tasks-local-reminders
export REMINDER_TARGET_ARN=arn:aws:lambda:us-east-1:123456789012:function:task-reminders
export REMINDER_ROLE_ARN=arn:aws:iam::123456789012:role/tasks-local-scheduler
python3 tools/local_eventbridge.py setup "$EVENT_BUS_NAME" task-events-local || failed "the local EventBridge failed"
REMINDER_DEAD_LETTER_ARN=$(python3 tools/local_scheduler.py setup "$REMINDER_SCHEDULE_GROUP" tasks-local-reminders-dlq) ||
  failed "the local Scheduler failed"
export REMINDER_DEAD_LETTER_ARN

# The table (with its stream) and the schedules as they were when make dev last stopped.
restored=$(python3 tools/local_state.py restore .dynamodb) ||
  failed "the local DynamoDB failed: is 127.0.0.1:$DYNAMODB_PORT free? (DYNAMODB_PORT=...)"
kill -0 $dynamodb 2>/dev/null || failed "moto did not start on 127.0.0.1:$DYNAMODB_PORT: is the port free? (DYNAMODB_PORT=...)"
kill -0 $moto 2>/dev/null || failed "moto did not start on 127.0.0.1:$EVENTS_PORT: is the port free? (EVENTS_PORT=...)"

# The keeper, the stream's reader and the firer hold their places before anything writes.
ready=$(mktemp -d)
setsid python3 tools/local_state.py keep .dynamodb --ready "$ready/state" &
keeper=$!
setsid python3 tools/local_stream.py --ready "$ready/stream" &
stop_on_exit $!
setsid python3 tools/local_scheduler.py run "$REMINDER_SCHEDULE_GROUP" --ready "$ready/scheduler" &
stop_on_exit $!
# Live updates: the WebSocket gateway, its management API and the bus's feed of live-fanout.
setsid python3 tools/local_websocket.py --ready "$ready/live" &
stop_on_exit $!
# On exit the keeper stops first, and is waited for: its last round reads moto, which stops next.
stop_keeper_first() {
  kill -- -"$keeper" 2>/dev/null && wait "$keeper" 2>/dev/null || true
  rm -rf "$ready"
  stop_local_processes
}
trap stop_keeper_first EXIT
for _ in $(seq 200); do [ -e "$ready/state" ] && [ -e "$ready/stream" ] && [ -e "$ready/scheduler" ] && [ -e "$ready/live" ] && break; sleep 0.1; done
for tool in state stream scheduler; do [ -e "$ready/$tool" ] || failed "tools/local_$tool.py did not start (above)"; done
[ -e "$ready/live" ] || failed "tools/local_websocket.py did not start (above)"

echo "DynamoDB (moto) on 127.0.0.1:$DYNAMODB_PORT, table $TABLE_NAME, its stream read into task-events; $restored"
echo "EventBridge, Scheduler, SES, Cognito (moto) on 127.0.0.1:$EVENTS_PORT: bus $EVENT_BUS_NAME, reminders in group $REMINDER_SCHEDULE_GROUP"
if [ "$TASKS_LOCAL_CALLER_ID" = "$local_sub" ]; then
  caller="$TASKS_LOCAL_CALLER_ID (the id of $local_email in the local user pool)"
else
  caller="$TASKS_LOCAL_CALLER_ID (not in the local user pool: no reminder mail for it)"
fi
echo "API on http://127.0.0.1:$PORT/tasks as caller $caller (Ctrl-C stops them all)"
echo "Live updates on ws://127.0.0.1:$LIVE_PORT/?caller=<user> (the page: /live; management API on :$LIVE_MANAGEMENT_PORT)"
echo "Events:  AWS_ENDPOINT_URL_EVENTBRIDGE=$local_aws .venv/bin/python tools/local_eventbridge.py receive"
if [ -n "$REMINDER_SENDER" ]; then
  echo "Mail:    AWS_ENDPOINT_URL_SES=$local_aws .venv/bin/python tools/local_mailbox.py --follow"
fi
# The web app (web/), served by Vite with reload on save; it proxies /tasks to the API, so
# the page and the API share one origin, as behind CloudFront. Stopped on exit, as the others.
(cd web && API_URL="http://127.0.0.1:$PORT" LIVE_URL="ws://127.0.0.1:$LIVE_PORT" WEB_PORT="$WEB_PORT" exec setsid node_modules/.bin/vite --logLevel warn) &
stop_on_exit $!
echo "Web app on http://127.0.0.1:$WEB_PORT/ (reloads when a file in web/ is saved)"
# Only a build with the local-caller feature honours TASKS_LOCAL_CALLER_ID.
cargo lambda watch --features local-caller --invoke-address 127.0.0.1 --invoke-port "$PORT"
