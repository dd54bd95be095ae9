"""Ours: moto keeps the email it "sent" but shows it only as raw JSON among every service's state (/moto-api/); this is make dev's mailbox, and sets up the sender and the user pool the mail goes through.

    local_mailbox.py [show] [--follow]
        print the emails sent so far (SES on AWS_ENDPOINT_URL_SES), oldest first; with
        --follow, then each new one as it is sent, until Ctrl-C
    local_mailbox.py setup SENDER EMAIL
        verify SENDER (unless empty) as an SES identity (SES v1 VerifyEmailIdentity: SESv2
        SendEmail needs it), create the user pool `tasks-local` (sign-in by email, as the deployed pool) on
        AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER holding the user EMAIL, its address
        verified; print the pool's id and the user's sub
    local_mailbox.py add-user EMAIL
        one more user of the pool (USER_POOL_ID, else the one named tasks-local); print its sub, which X-Local-Caller (or an
        assignee) names to act as it or to share a task with it. In moto's memory only, and
        its sub is new each time: add it again after make dev restarts

A Cognito user's sub is generated: setup seeds moto's random generator first (moto's
POST /moto-api/seed), so that a fresh moto gives the same pool id and the same sub for the
same EMAIL at every start, and make dev's local caller (that sub) owns the same tasks across
restarts. Run setup first on a fresh server: what moto generated before the seed does not
matter, but requests in between would.
"""

import argparse
import json
import os
import sys
import time
import urllib.request
from html.parser import HTMLParser

from local_aws import Stop, client, endpoint

POOL_NAME = "tasks-local"
SEED = 23  # any fixed number: the same ids at each start


class _Text(HTMLParser):
    """An HTML body as text: tags dropped, a link's address after its text."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.href: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.href = dict(attrs).get("href")
        elif tag in ("br", "p", "div", "li", "tr", "h1", "h2", "h3"):
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag == "a" and self.href:
            self.parts.append(f" <{self.href}>")
            self.href = None

    def handle_data(self, data):
        self.parts.append(data)


def as_text(body: str) -> str:
    if "<" not in body or ">" not in body:
        return body
    parser = _Text()
    parser.feed(body)
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    return "\n".join(line for line in lines if line)


def sent_messages() -> list[dict]:
    url = f"{endpoint('AWS_ENDPOINT_URL_SES')}/moto-api/data.json"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=10) as answer:
        ses = json.load(answer).get("ses", {})
    return ses.get("Message", []) + ses.get("RawMessage", [])


def show(message: dict, number: int) -> None:
    destinations = message.get("destinations", {})
    if isinstance(destinations, dict):  # Simple content; a raw message has a plain list
        to = ", ".join(a for kind in ("ToAddresses", "CcAddresses", "BccAddresses") for a in destinations.get(kind, []))
    else:
        to = ", ".join(destinations)
    print(f"--- mail {number}")
    print(f"From: {message.get('source')}")
    print(f"To: {to}")
    if "subject" in message:
        print(f"Subject: {message['subject']}")
        print()
        print(as_text(message.get("body", "")))
    else:
        print()
        print(message.get("raw_data", ""))
    print(flush=True)


def mailbox(follow: bool) -> None:
    stop = Stop()
    seen = set()
    while True:
        for message in sent_messages():
            if message["id"] not in seen:
                seen.add(message["id"])
                show(message, len(seen))
        if not follow or stop.requested:
            break
        stop.sleep(1)
        if stop.requested:
            break
    print(f"{len(seen)} mail(s) sent", file=sys.stderr)


def add_user(cognito, pool: str, email: str) -> str:
    user = cognito.admin_create_user(
        UserPoolId=pool,
        Username=email,
        UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
        MessageAction="SUPPRESS",
    )["User"]
    return next(a["Value"] for a in user["Attributes"] if a["Name"] == "sub")


def setup(sender: str, email: str) -> None:
    if sender:  # none: reminders send no mail
        client("ses", "AWS_ENDPOINT_URL_SES").verify_email_identity(EmailAddress=sender)
    cognito = client("cognito-idp", "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER")
    seed = f"{endpoint('AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER')}/moto-api/seed?a={SEED}"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    opener.open(urllib.request.Request(seed, method="POST"), timeout=10).close()
    pool = cognito.create_user_pool(
        PoolName=POOL_NAME, UsernameAttributes=["email"], AutoVerifiedAttributes=["email"]
    )["UserPool"]["Id"]
    print(pool, add_user(cognito, pool, email))


def wait_for(variable: str) -> None:
    """Until the server at `variable` answers (moto takes about a second to start)."""
    url = f"{endpoint(variable)}/moto-api/data.json"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + 30
    while True:
        try:
            opener.open(url, timeout=5).close()
            return
        except OSError as error:
            if time.monotonic() > deadline:
                sys.exit(f"nothing answers at {url} after 30 s: {error}")
            time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command")
    show_command = commands.add_parser("show")
    show_command.add_argument("--follow", action="store_true")
    setup_command = commands.add_parser("setup")
    setup_command.add_argument("sender")
    setup_command.add_argument("email")
    user_command = commands.add_parser("add-user")
    user_command.add_argument("email")
    parser.add_argument("--follow", action="store_true", help="as `show --follow`")
    args = parser.parse_args()
    if args.command == "setup":
        wait_for("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER")
        setup(args.sender, args.email)
    elif args.command == "add-user":
        cognito = client("cognito-idp", "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER")
        pools = [p["Id"] for p in cognito.list_user_pools(MaxResults=60)["UserPools"] if p["Name"] == POOL_NAME]
        pool = os.environ.get("USER_POOL_ID") or (pools or sys.exit(f"no user pool {POOL_NAME}: is make dev running?"))[0]
        print(add_user(cognito, pool, args.email))
    else:
        mailbox(args.follow)


if __name__ == "__main__":
    main()
