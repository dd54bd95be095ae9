#!/usr/bin/env bash
# The deploy pipeline's steps (.github/workflows/deploy.yml); with AWS credentials they also
# run by hand. Never run by make test: they talk to AWS.
#
#   tools/pipeline.sh deploy dev|prod   sam build for this machine's architecture, then
#                                       sam deploy with samconfig.toml's settings for the stage
#   tools/pipeline.sh e2e dev|prod      make e2e against the stage, as a throwaway test user
#
# deploy reads EXECUTION_ROLE (the role CloudFormation deploys with) and ARTIFACTS_BUCKET
# from the environment (the outputs of pipeline/stage.yaml and pipeline/github-deploy.yaml).
# It uploads under the stage's own prefix of the bucket (the stack's name), passes the
# stage's permissions boundary (<stack>-boundary, named so by pipeline/stage.yaml, in the
# execution role's account), which that role requires of every role it creates, and leaves
# API Gateway's account-wide logging role to the pipeline's account stack.
set -euo pipefail
cd "$(dirname "$0")/.."
action=${1:-} stage=${2:-}
case "$action/$stage" in deploy/dev | deploy/prod | e2e/dev | e2e/prod) ;;
  *) echo "usage: $0 deploy|e2e dev|prod" >&2; exit 2 ;;
esac
stack=$(python3 -c 'import sys, tomllib; print(tomllib.load(open("samconfig.toml", "rb"))[sys.argv[1]]["global"]["parameters"]["stack_name"])' "$stage")

if [ "$action" = deploy ]; then
  make --silent .venv/.test-installed # cargo-lambda, zig, SAM CLI: the versions make test uses
  export PATH="$PWD/.venv/bin:$PATH" SAM_CLI_TELEMETRY=0
  arch=$(uname -m); [ "$arch" = aarch64 ] && arch=arm64
  # --parameter-overrides replaces samconfig's list rather than adding to it: repeat it.
  overrides=$(python3 -c 'import sys, tomllib; print(tomllib.load(open("samconfig.toml", "rb"))[sys.argv[1]]["deploy"]["parameters"]["parameter_overrides"])' "$stage")
  # arn:<partition>:iam::<account>:role/<name> -> arn:<partition>:iam::<account>:policy/<stack>-boundary
  IFS=: read -r _ partition _ _ account _ <<< "${EXECUTION_ROLE:?}"
  boundary="arn:$partition:iam::$account:policy/$stack-boundary"
  sam build --config-env "$stage" --parameter-overrides Architecture="$arch"
  # shellcheck disable=SC2086 # the overrides are a space-separated list by design
  sam deploy --config-env "$stage" --no-confirm-changeset --no-fail-on-empty-changeset \
    --no-resolve-s3 --s3-bucket "${ARTIFACTS_BUCKET:?}" --s3-prefix "$stack" --role-arn "$EXECUTION_ROLE" \
    --parameter-overrides $overrides Architecture="$arch" PermissionsBoundaryArn="$boundary" \
    ConfigureApiGatewayLogging=false
  exit 0
fi

# e2e: the stage's URL and user pool from its outputs, a test user made for this run only.
output() {
  aws cloudformation describe-stacks --stack-name "$stack" \
    --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
}
api_url=$(output ApiUrl) pool=$(output UserPoolId) client=$(output UserPoolClientId)
# Two throwaway users: the second is the assignee of the sharing check.
user="e2e-$(date +%s)-$RANDOM@example.com" assignee="e2e-$(date +%s)-$RANDOM-assignee@example.com"
token() { python3 tools/test_user_token.py --user-pool-id "$pool" --client-id "$client" --username "$@"; }
make --silent .venv/.dev-installed # boto3 (make e2e's pytest too)
export PATH="$PWD/.venv/bin:$PATH"
trap 'token "$user" --delete || true; token "$assignee" --delete || true' EXIT
# The tokens are masked in GitHub's log before anything could print them (the workflow
# command line itself is not shown), and reach make e2e through the environment: never on a
# command line (ps shows those) nor in the log. By hand, outside Actions, nothing is echoed.
mask() { if [ "${GITHUB_ACTIONS:-}" = true ]; then echo "::add-mask::$1"; fi; }
TOKEN=$(token "$user")
mask "$TOKEN"
ASSIGNEE_TOKEN=$(token "$assignee")
mask "$ASSIGNEE_TOKEN"
export TOKEN ASSIGNEE_TOKEN
make --silent e2e BASE_URL="$api_url"
