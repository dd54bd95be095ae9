#!/usr/bin/env python3
"""`make test`'s check of tools/test_user_token.py, against moto's Cognito on loopback: a
pool and an app client like the template's, then the script as a user would run it; the
token it prints must be an ID token of that client for that user.

    test_user_token_check.py MOTO_URL
"""

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parent.parent


def claims(jwt):
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def main():
    endpoint = sys.argv[1]
    assert endpoint.startswith("http://127.0.0.1:"), "only a local Cognito"
    # boto3 names the variable after the service id, "Cognito Identity Provider".
    env = {**os.environ, "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER": endpoint}
    os.environ.update(env)
    cognito = boto3.client("cognito-idp")
    # The script builds its client the same way: it must land here, never on AWS.
    assert cognito.meta.endpoint_url == endpoint, cognito.meta.endpoint_url
    pool = cognito.create_user_pool(PoolName="e2e-check", UsernameAttributes=["email"])["UserPool"]["Id"]
    client = cognito.create_user_pool_client(
        UserPoolId=pool, ClientName="e2e-check",
        ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    script = [sys.executable, str(ROOT / "tools/test_user_token.py"), "--user-pool-id", pool,
              "--client-id", client, "--username", "e2e-1@example.com"]
    checks = []
    run = subprocess.run(script, env=env, capture_output=True, text=True)
    if run.returncode:
        sys.exit(f"test_user_token.py failed:\n{run.stderr}")
    first = run.stdout.strip()
    token = claims(first)
    checks.append(("prints only an ID token", first.count("\n") == 0 and token.get("token_use") == "id"))
    checks.append(("of the stack's app client", token.get("aud") == client))
    checks.append(("for that user", "e2e-1@example.com" in (token.get("email"), token.get("cognito:username"))))
    again = subprocess.run(script, env=env, capture_output=True, text=True)
    checks.append(("runs again for an existing user", again.returncode == 0 and claims(again.stdout)["aud"] == client))
    deleted = subprocess.run(script + ["--delete"], env=env, capture_output=True, text=True)
    users = cognito.list_users(UserPoolId=pool)["Users"]
    checks.append(("--delete removes the user", deleted.returncode == 0 and not users))
    for name, ok in checks:
        print(f"{'ok  ' if ok else 'FAIL'} test_user_token.py {name}")
    passed = sum(ok for _, ok in checks)
    print(f"test_user_token: {passed} passed, {len(checks) - passed} failed")
    sys.exit(0 if passed == len(checks) else 1)


if __name__ == "__main__":
    main()
