"""tools/local_mailbox.py: the sender and user pool of make dev's reminders, and its mailbox."""

import os
import subprocess
import sys
import threading

from conftest import TOOLS, aws


def run(*args, env):
    return subprocess.run([sys.executable, TOOLS / "local_mailbox.py", *args], env={**os.environ, **env},
                          capture_output=True, text=True, check=True).stdout


def servers(url, environment):
    return environment | {"AWS_ENDPOINT_URL_SES": url, "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER": url}


def test_setup_gives_the_same_pool_and_sub_at_every_start(fresh_moto, environment):
    first = servers(fresh_moto(), environment)
    pool, sub = run("setup", "reminders@localhost.test", "me@localhost.test", env=first).split()
    # What reminders' function asks: the user whose sub is the task's owner, by email.
    cognito = aws("cognito-idp", first["AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"])
    (user,) = cognito.list_users(UserPoolId=pool, Filter=f'sub = "{sub}"', AttributesToGet=["email", "email_verified"])["Users"]
    assert {a["Name"]: a["Value"] for a in user["Attributes"]} == {"email": "me@localhost.test", "email_verified": "true"}
    assert cognito.describe_user_pool(UserPoolId=pool)["UserPool"]["UsernameAttributes"] == ["email"]
    assert aws("ses", first["AWS_ENDPOINT_URL_SES"]).list_identities()["Identities"] == ["reminders@localhost.test"]
    second = servers(fresh_moto(), environment)
    assert run("setup", "reminders@localhost.test", "me@localhost.test", env=second).split() == [pool, sub]

    other = run("add-user", "bob@localhost.test", env=first).strip()  # the pool found by its name
    assert other != sub and cognito.list_users(UserPoolId=pool, Filter=f'sub = "{other}"')["Users"]


def test_the_mailbox_shows_what_was_sent_and_follows(fresh_moto, environment):
    env = servers(fresh_moto(), environment)
    aws("ses", env["AWS_ENDPOINT_URL_SES"]).verify_email_identity(EmailAddress="reminders@localhost.test")
    ses = aws("sesv2", env["AWS_ENDPOINT_URL_SES"])

    def send(subject, html):
        ses.send_email(
            FromEmailAddress="reminders@localhost.test",
            Destination={"ToAddresses": ["me@localhost.test"]},
            Content={"Simple": {"Subject": {"Data": subject}, "Body": {
                "Text": {"Data": "text"}, "Html": {"Data": html}}}},
        )

    send("Reminder: Write report", '<p>Due now.</p><p><a href="http://127.0.0.1:5173/tasks/t1">Open it</a></p>')
    shown = run("show", env=env)
    assert "From: reminders@localhost.test\nTo: me@localhost.test\nSubject: Reminder: Write report" in shown
    assert "Due now.\nOpen it <http://127.0.0.1:5173/tasks/t1>" in shown

    follow = subprocess.Popen([sys.executable, TOOLS / "local_mailbox.py", "--follow"], env={**os.environ, **env},
                              stdout=subprocess.PIPE, text=True)
    watchdog = threading.Timer(20, follow.kill)  # a mailbox that never prints fails, not hangs
    watchdog.start()
    try:
        lines = iter(follow.stdout.readline, "")
        assert "--- mail 1" in next(lines)  # the mail so far, then it follows
        send("Reminder: Second", "<p>Again.</p>")
        assert any(line.startswith("Subject: Reminder: Second") for line in lines)
    finally:
        watchdog.cancel()
        follow.terminate()
        follow.communicate(timeout=10)
