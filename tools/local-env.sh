# Environment shared by `make dev` and `make test`: dummy credentials for the local
# DynamoDB, and the functions' configuration. Sourced, not run.
# Nothing local may use the developer's own AWS identity: no profile, no config or
# credentials file, no instance metadata; only the dummy keys below.
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:${DYNAMODB_PORT:?}"
export TABLE_NAME=${TABLE_NAME:-tasks-local}
export PAGE_TOKEN_SECRET=local-development-page-token-secret-not-for-production
# The app client of the sample events' tokens (events/): a build without the local caller
# refuses to start without an allowed client.
export ALLOWED_CLIENT_IDS=${ALLOWED_CLIENT_IDS:-1example23456789example}
export DYNAMODB_PID_FILE
DYNAMODB_PID_FILE=$(mktemp)
# On exit: stop the process groups the script registered (stop_on_exit), then DynamoDB.
stopped_on_exit=()
stop_on_exit() { stopped_on_exit+=("$1"); }
# A group already gone (stopped early, or exited) is no failure: under `set -e` a failed kill
# here would turn the script's exit status into 1.
stop_local_processes() {
  for group in "${stopped_on_exit[@]}"; do kill -- -"$group" 2>/dev/null || true; done
  kill "$(cat "$DYNAMODB_PID_FILE")" 2>/dev/null || true
  rm -f "$DYNAMODB_PID_FILE"
}
trap stop_local_processes EXIT
# Waits up to 10 s for something to listen on 127.0.0.1:PORT.
wait_for_port() {
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && break; sleep 0.1; done
}
