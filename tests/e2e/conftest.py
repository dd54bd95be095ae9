"""The HTTP contract suite's setup: which stage, as whom, and the clean-up (see test_contract.py).

BASE_URL, TOKEN and ASSIGNEE_TOKEN come from the environment only: a command line is visible
to every process on the machine (ps). The tokens are kept in `Secret`, whose repr is masked, so
that pytest's failure reports (arguments, assertion values) never show one.
"""

import ipaddress
import json
import os
import socket
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest


class Secret(str):
    def __repr__(self):
        return "'<token>'"


class Api:
    """A client of the stage: every request as the test user (TOKEN), unless told otherwise."""

    def __init__(self, base_url, token):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.created = []
        host = urllib.parse.urlsplit(base_url).hostname or ""
        # A loopback stack is reached directly, whatever HTTP(S)_PROXY says.
        loopback = host == "localhost" or _is_loopback_address(host)
        self.opener = urllib.request.build_opener(*([urllib.request.ProxyHandler({})] if loopback else []))

    def call(self, method, path, body=None, headers=None, token=True, raw_body=None, content_type=True):
        data = raw_body if raw_body is not None else (None if body is None else json.dumps(body).encode())
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        if data is not None and content_type:
            request.add_header("Content-Type", "application/json")
        if token and self.token:
            request.add_header("Authorization", self.token)
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with self.opener.open(request, timeout=180) as response:
                status, response_headers, text = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, response_headers, text = error.code, error.headers, error.read()
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text.decode(errors="replace")
        return status, response_headers, parsed

    def create(self, body, headers=None):
        status, response_headers, answer = self.call("POST", "/tasks", body, headers)
        if status == 201:
            self.created.append(answer["task"]["taskId"])
        return status, response_headers, answer


def _is_loopback_address(host):
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _wait_until_listening(base_url, seconds=180):
    url = urllib.parse.urlsplit(base_url)
    port = url.port or (443 if url.scheme == "https" else 80)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection((url.hostname, port), timeout=2).close()
            return
        except OSError:
            time.sleep(0.2)
    pytest.exit(f"e2e: nothing listens on {base_url} after {seconds} s", returncode=1)


@pytest.fixture(scope="session")
def token():
    """TOKEN: a Cognito ID token of a test user; empty against a local stack."""
    return Secret(os.environ.get("TOKEN", ""))


@pytest.fixture(scope="session")
def assignee_token():
    """ASSIGNEE_TOKEN: a second test user's, for the sharing test."""
    return Secret(os.environ.get("ASSIGNEE_TOKEN", ""))


_removed = []


@pytest.fixture(scope="session")
def api(token):
    """The stage at BASE_URL; every task the suite creates is deleted at the end, whatever happened."""
    base_url = os.environ.get("BASE_URL", "")
    if not base_url:
        pytest.exit("e2e: set BASE_URL (and TOKEN, ASSIGNEE_TOKEN for a deployed stage)", returncode=2)
    _wait_until_listening(base_url)
    client = Api(base_url, token)
    yield client
    for task_id in client.created:
        client.call("DELETE", f"/tasks/{task_id}")
    _removed.append(len(client.created))


def pytest_terminal_summary(terminalreporter):
    if _removed:
        terminalreporter.write_line(f"e2e: removed the {_removed[0]} tasks it created")
