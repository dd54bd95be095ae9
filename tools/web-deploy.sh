#!/usr/bin/env bash
# Builds the web app, uploads it to a deployed stack's bucket and invalidates CloudFront's
# cache: after `sam deploy`, this one command puts the app online.
#
#   tools/web-deploy.sh [STACK]     STACK defaults to task-api-dev (samconfig.toml's default)
#
# Needs the AWS CLI v2 with credentials for the stack's account, as `sam deploy` does (unlike
# make dev and make test, this talks to AWS). It reads the stack's outputs, writes
# /config.json (user pool, app client, managed-login domain: the app's sign-in settings),
# uploads the hashed assets as immutable and the rest as no-cache, then invalidates /*.
set -euo pipefail
cd "$(dirname "$0")/.."
stack=${1:-task-api-dev}
aws=${AWS_CLI:-aws}

echo "--- reading the outputs of stack $stack"
described=$($aws cloudformation describe-stacks --stack-name "$stack" --output json)
settings=$(python3 - "$described" <<'EOF'
import json, shlex, sys
stack = json.loads(sys.argv[1])["Stacks"][0]
outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
parameters = {p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters", [])}
wanted = ["SiteUrl", "SiteBucketName", "SiteDistributionId", "UserPoolId", "UserPoolClientId", "AuthDomain", "LiveUrl"]
missing = [k for k in wanted if not outputs.get(k)]
if missing:
    sys.exit(f"stack {stack['StackName']} has no output {', '.join(missing)}: deploy the current template.yaml first (sam deploy)")
for key in wanted:
    print(f"{key}={shlex.quote(outputs[key])}")
print(f"Region={shlex.quote(stack['StackId'].split(':')[3])}")
print(f"SiteUrlParameter={shlex.quote(parameters.get('SiteUrl', ''))}")
EOF
)
eval "$settings"

echo "--- building web/"
make --no-print-directory -s web/node_modules/.installed # npm ci, as make test installs it
(cd web && node_modules/.bin/vite build --logLevel warn && node scripts/size.mjs)
python3 - "$Region" "$UserPoolId" "$UserPoolClientId" "$AuthDomain" "$LiveUrl" > web/dist/config.json <<'EOF'
import json, sys
region, pool, client, domain, live = sys.argv[1:]
print(json.dumps({"auth": {"region": region, "userPoolId": pool, "clientId": client, "domain": domain}, "liveUrl": live}, indent=2))
EOF
echo "web/dist/config.json: $(tr -d ' \n' < web/dist/config.json)"

echo "--- uploading to s3://$SiteBucketName"
# Hashed file names never change content: cached for a year. Old ones stay, so that a page
# loaded before this deploy can still fetch its chunks.
$aws s3 sync web/dist/assets "s3://$SiteBucketName/assets" --region "$Region" \
  --cache-control "public, max-age=31536000, immutable"
# index.html and config.json name the current assets and settings: revalidated every time.
$aws s3 sync web/dist "s3://$SiteBucketName" --region "$Region" --exclude "assets/*" --delete \
  --cache-control "no-cache"

echo "--- invalidating CloudFront's cache ($SiteDistributionId)"
$aws cloudfront create-invalidation --distribution-id "$SiteDistributionId" --paths "/*" \
  --query "Invalidation.[Id,Status]" --output text

echo "The app: $SiteUrl"
if [ "$SiteUrlParameter" != "$SiteUrl" ]; then
  echo "Sign-in is not on for $SiteUrl yet: the stack's SiteUrl parameter is '${SiteUrlParameter}'." >&2
  echo "Add SiteUrl=$SiteUrl to parameter_overrides in samconfig.toml (in prod, also" \
    "CorsAllowOrigin=$SiteUrl), then run sam deploy again (docs/web.md)." >&2
fi
