#!/usr/bin/env python3
"""An ID token for a test user of a deployed stage's user pool, for `make e2e`.

    TOKEN=$(.venv/bin/python tools/test_user_token.py --user-pool-id POOL --client-id CLIENT \\
            --username e2e-1@example.com)
    make e2e BASE_URL=... TOKEN="$TOKEN"

The ids are the stack's `UserPoolId` and `UserPoolClientId` outputs (`sam list stack-outputs
--stack-name task-api-dev`). With your own AWS credentials (it calls the admin API: the
user is created confirmed, without an email, and given a random password that is printed
nowhere), it creates the user if needed, sets the password, and signs in with
ADMIN_USER_PASSWORD_AUTH, which the app client allows for exactly this (docs/security.md).
It prints the ID token and nothing else. `--delete` removes the user instead.

The deploy pipeline's e2e job (tools/pipeline.sh) runs it against dev's user pool on every
push to main, before prod: that run is its test.
"""

import argparse
import secrets
import string
import sys

import boto3


def password():
    """Meets any Cognito password policy (the template's asks 12+ characters with lower and
    upper case letters and digits; Cognito's default also asks a symbol)."""
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(32)) + "^"
        if (any(c.islower() for c in candidate) and any(c.isupper() for c in candidate)
                and any(c.isdigit() for c in candidate)):
            return candidate


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--user-pool-id", required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--username", required=True, help="an email address (the pool signs in by email)")
    parser.add_argument("--delete", action="store_true", help="delete the test user and exit")
    args = parser.parse_args()
    cognito = boto3.client("cognito-idp")

    if args.delete:
        cognito.admin_delete_user(UserPoolId=args.user_pool_id, Username=args.username)
        return
    secret = password()
    try:
        cognito.admin_create_user(
            UserPoolId=args.user_pool_id,
            Username=args.username,
            MessageAction="SUPPRESS",
            UserAttributes=[{"Name": "email", "Value": args.username},
                            {"Name": "email_verified", "Value": "true"}],
        )
    except cognito.exceptions.UsernameExistsException:
        pass
    cognito.admin_set_user_password(UserPoolId=args.user_pool_id, Username=args.username,
                                    Password=secret, Permanent=True)
    answer = cognito.admin_initiate_auth(
        UserPoolId=args.user_pool_id,
        ClientId=args.client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": args.username, "PASSWORD": secret},
    )
    result = answer.get("AuthenticationResult")
    if not result:
        sys.exit(f"sign-in asked for a challenge instead of answering: {answer.get('ChallengeName')}")
    print(result["IdToken"])


if __name__ == "__main__":
    main()
