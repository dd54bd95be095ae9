#!/usr/bin/env bash
# `make dev`: local DynamoDB (data kept in .dynamodb/) and the four functions under
# `cargo lambda watch`, which rebuilds on change and routes /tasks like API Gateway.
set -euo pipefail
cd "$(dirname "$0")/.."
DYNAMODB_PORT=${DYNAMODB_PORT:-8000}
source tools/local-env.sh
# The caller every local request acts as (no Cognito locally). Only local tooling sets it.
export TASKS_LOCAL_CALLER_ID=${TASKS_LOCAL_CALLER_ID:-local-developer}

tools/local-dynamodb.sh "$DYNAMODB_PORT" "$TABLE_NAME" .dynamodb
echo "DynamoDB (dynalite) on 127.0.0.1:$DYNAMODB_PORT, table $TABLE_NAME, data in .dynamodb/"
echo "API on http://127.0.0.1:${PORT:-9000}/tasks as caller $TASKS_LOCAL_CALLER_ID (Ctrl-C stops both)"
# Only a build with the local-caller feature honours TASKS_LOCAL_CALLER_ID.
cargo lambda watch --features local-caller --invoke-address 127.0.0.1 --invoke-port "${PORT:-9000}"
