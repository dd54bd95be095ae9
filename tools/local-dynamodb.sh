#!/usr/bin/env bash
# Starts dynalite (a DynamoDB-compatible server) on loopback, waits until it answers and
# creates the tasks table from template.yaml. Prints nothing on success; the caller
# stops the server with the PID written to $DYNAMODB_PID_FILE.
#
#   tools/local-dynamodb.sh PORT TABLE [DATA_DIR]   (no DATA_DIR: in memory)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
port=$1 table=$2 data_dir=${3:-}
args=(--host 127.0.0.1 --port "$port" --createTableMs 50)
if [ -n "$data_dir" ]; then mkdir -p "$data_dir"; args+=(--path "$data_dir"); fi

"$root/node_modules/.bin/dynalite" "${args[@]}" >/dev/null &
echo $! > "${DYNAMODB_PID_FILE:?set DYNAMODB_PID_FILE}"

for _ in $(seq 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  if ! kill -0 "$(cat "$DYNAMODB_PID_FILE")" 2>/dev/null; then
    echo "dynalite exited; is port $port free?" >&2; exit 1
  fi
  sleep 0.1
done
AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=us-east-1 \
  "$root/.venv/bin/python" "$root/tools/create_table.py" "http://127.0.0.1:$port" "$table"
