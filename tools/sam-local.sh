#!/usr/bin/env bash
# `sam local` for this project, on loopback only (see README, "sam local"):
#
#   tools/sam-local.sh invoke FUNCTION -e EVENT [sam options]
#       the deployment build (`sam build`, x86_64) of FUNCTION, e.g. GetTasksFunction, with
#       tools/sam-local-env.json: make dev's DynamoDB on 127.0.0.1:8000
#   tools/sam-local.sh start-api [sam options]
#       the API on http://127.0.0.1:3000, every request acting as the local caller of
#       tools/sam-local-env.json (binaries built with the local-caller feature)
#   tools/sam-local.sh check
#       make test's stage: builds both, checks their glibc, then tests/sam_local (pytest):
#       every event in events/ through `sam local invoke` against the in-process answer,
#       then start-api over HTTP.
#       Needs a Docker engine: with CI=true a missing one fails; otherwise it is SKIPPED.
#
# Both builds go under target/sam-local/, never into .aws-sam/build (what `sam deploy`
# uses), and the deployment one never has the local-caller feature. SAM runs through
# tools/sam_offline.py: no AWS credentials, no telemetry or version check, Lambda containers
# on the host network, and only a loopback DynamoDB endpoint; and with --skip-pull-image.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"

WORK=target/sam-local
DEPLOY_TEMPLATE=$WORK/deploy/template.yaml
LOCAL_TEMPLATE=$WORK/local-caller.yaml
# What Lambda's provided.al2023 offers; binaries needing more would not start there.
LAMBDA_GLIBC=2.34
ENV_FILE=${SAM_LOCAL_ENV_FILE:-tools/sam-local-env.json}

timed() { # timed LABEL COMMAND...: runs it, says how long it took, keeps its exit status
  local label=$1 started=$SECONDS status=0
  shift
  "$@" || status=$?
  printf '    (%s: %ss)\n' "$label" "$((SECONDS - started))"
  return "$status"
}

engine() {
  tools/docker-engine.sh && tools/lambda-base-image.sh
}

# The SAM CLI, cargo-lambda and zig (PyPI) and dynalite (npm), as `make test` installs them.
installed() {
  make --no-print-directory -s .venv/.test-installed node_modules/.installed >&2
}

# The four binaries exactly as `sam build` makes them for a deploy, x86_64: one cargo
# call builds all four (their LTO links run side by side), then `sam build` finds them
# built (it runs `cargo lambda build --release --bin <name>` per function) and copies them.
build_deploy() {
  cargo lambda build --release
  python tools/sam_offline.py build --no-cached --parameter-overrides Architecture=x86_64 \
    --build-dir "$WORK/deploy" > "$WORK/sam-build.log" 2>&1 || { cat "$WORK/sam-build.log"; return 1; }
  python tools/sam_local_check.py glibc "$LAMBDA_GLIBC" "$WORK"/deploy/*/bootstrap
}

# The same functions with the local-caller feature, in a folder of their own, and a template
# whose functions take their code from there. On an x86_64 Linux host these are make dev's
# own debug builds (what `cargo lambda watch --features local-caller` compiles: make test's
# smoke stage has built them already); elsewhere, or where they would need a newer glibc
# than Lambda's, cargo lambda cross-builds them.
build_local_caller() {
  local dir=$WORK/local-caller bins binary
  read -ra bins < <(python tools/sam_local_check.py binaries template.yaml)
  rm -rf "$dir" && mkdir -p "$dir"
  if [ "$(uname -sm)" = "Linux x86_64" ]; then
    cargo build --features local-caller "${bins[@]/#/--bin=}"
    for binary in "${bins[@]}"; do
      mkdir -p "$dir/$binary"
      cp "${CARGO_TARGET_DIR:-target}/debug/$binary" "$dir/$binary/bootstrap"
    done
    local glibc
    if glibc=$(python tools/sam_local_check.py glibc "$LAMBDA_GLIBC" "$dir"/*/bootstrap); then
      printf '%s\n' "$glibc"
      python tools/sam_local_check.py local-template template.yaml "$LOCAL_TEMPLATE" "$dir"
      return
    fi
    echo "(these need a newer glibc than Lambda's: cross-building them with cargo lambda)"
    rm -rf "$dir" && mkdir -p "$dir"
  fi
  cargo lambda build --features local-caller --lambda-dir "$dir"
  python tools/sam_local_check.py glibc "$LAMBDA_GLIBC" "$dir"/*/bootstrap
  python tools/sam_local_check.py local-template template.yaml "$LOCAL_TEMPLATE" "$dir"
}

case ${1:-} in
  invoke)
    shift
    installed
    mkdir -p "$WORK"
    engine >&2
    build_deploy >&2
    # --parameter-overrides last: it takes every value up to the next option.
    exec python tools/sam_offline.py local invoke "$@" -t "$DEPLOY_TEMPLATE" \
      --env-vars "$ENV_FILE" --skip-pull-image --parameter-overrides Architecture=x86_64
    ;;
  start-api)
    shift
    installed
    mkdir -p "$WORK"
    engine
    build_local_caller
    echo "API on http://127.0.0.1:3000/tasks as the caller in $ENV_FILE (Ctrl-C stops it)"
    exec python tools/sam_offline.py local start-api --host 127.0.0.1 --port 3000 \
      --warm-containers LAZY "$@" -t "$LOCAL_TEMPLATE" --env-vars "$ENV_FILE" --skip-pull-image \
      --parameter-overrides Architecture=x86_64
    ;;
  check)
    installed
    mkdir -p "$WORK"
    # An engine this check starts is stopped when it ends (one that already ran is left).
    export DOCKERD_PID_FILE=$WORK/dockerd.pid
    rm -f "$DOCKERD_PID_FILE"
    stop_started_engine() {
      [ -s "$DOCKERD_PID_FILE" ] || return 0
      local pid
      pid=$(cat "$DOCKERD_PID_FILE")
      kill "$pid" 2>/dev/null
      for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      rm -f "$DOCKERD_PID_FILE"
    }
    on_exit() {
      if declare -F stop_local_processes > /dev/null; then stop_local_processes; fi
      stop_started_engine
    }
    trap on_exit EXIT
    if ! reason=$(timed "Docker engine and base image" engine 2>&1); then
      printf '%s\n' "$reason"
      if [ "${CI:-}" = true ]; then
        echo "sam local checks: FAILED: no Docker engine could be used (required in CI)" >&2
        exit 1
      fi
      echo "sam local checks: SKIPPED (no Docker engine could be used; see above)"
      exit 0
    fi
    printf '%s\n' "$reason"
    # make test provides the local DynamoDB; run alone, start one.
    if [ -z "${AWS_ENDPOINT_URL_DYNAMODB:-}" ]; then
      DYNAMODB_PORT=$(tools/free-port.sh)
      TABLE_NAME=tasks-sam-local
      source tools/local-env.sh
      trap on_exit EXIT # local-env.sh set its own: stop its processes and the engine both
      tools/local-dynamodb.sh "$DYNAMODB_PORT" "$TABLE_NAME"
    fi
    # The functions' settings: the same for sam local and the in-process runner.
    python - "$WORK/check-env.json" <<'PY'
import json, os, sys, uuid
json.dump({"Parameters": {
    "AWS_ENDPOINT_URL_DYNAMODB": os.environ["AWS_ENDPOINT_URL_DYNAMODB"],
    "TABLE_NAME": os.environ["TABLE_NAME"],
    "PAGE_TOKEN_SECRET": os.environ["PAGE_TOKEN_SECRET"],
    "ALLOWED_CLIENT_IDS": "1example23456789example",
    "CORS_ALLOW_ORIGIN": "https://app.example.com",
    "PROBLEM_TYPE_BASE_URL": "https://task-api.example/problems/",
    "TASKS_LOCAL_CALLER_ID": f"sam-local-{uuid.uuid4()}",
}}, open(sys.argv[1], "w"), indent=1)
PY
    timed "deployment build: cargo lambda build --release, sam build" build_deploy
    timed "local-caller build" build_local_caller
    timed "in-process runner" cargo build --quiet -p dev-tools --bin invoke-event
    timed "sam local invoke of every event, then start-api (tests/sam_local)" \
      python -m pytest tests/sam_local --deploy-template "$DEPLOY_TEMPLATE" \
      --local-caller-template "$LOCAL_TEMPLATE" --env-file "$WORK/check-env.json"
    ;;
  *)
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
