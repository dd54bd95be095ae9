#!/usr/bin/env bash
# A stand-in for the AWS CLI, for tools/web-deploy.sh's test (tools/web-test.sh check): it
# answers describe-stacks with a stack like the template's, and records every other call in
# $FAKE_AWS_LOG, with the files an `s3 sync` would upload. Nothing reaches AWS.
set -euo pipefail
echo "aws $*" >> "$FAKE_AWS_LOG"
case "$1 $2" in
  "cloudformation describe-stacks")
    cat <<'JSON'
{"Stacks": [{"StackName": "task-api-test", "StackId": "arn:aws:cloudformation:eu-west-1:123456789012:stack/task-api-test/x",
  "Parameters": [{"ParameterKey": "SiteUrl", "ParameterValue": ""}],
  "Outputs": [
    {"OutputKey": "SiteUrl", "OutputValue": "https://d111111abcdef8.cloudfront.net"},
    {"OutputKey": "SiteBucketName", "OutputValue": "task-api-test-sitebucket-abc"},
    {"OutputKey": "SiteDistributionId", "OutputValue": "E2EXAMPLE"},
    {"OutputKey": "UserPoolId", "OutputValue": "eu-west-1_AbCdEf"},
    {"OutputKey": "UserPoolClientId", "OutputValue": "1example23456789"},
    {"OutputKey": "AuthDomain", "OutputValue": "https://task-api-test-123456789012.auth.eu-west-1.amazoncognito.com"},
    {"OutputKey": "LiveUrl", "OutputValue": "wss://abcdef1234.execute-api.eu-west-1.amazonaws.com/Prod"}]}]}
JSON
    ;;
  "s3 sync")
    (cd "$3" && find . -type f | sort | sed 's/^/  upload /') >> "$FAKE_AWS_LOG"
    ;;
  "cloudfront create-invalidation")
    echo "I2EXAMPLE InProgress"
    ;;
esac
