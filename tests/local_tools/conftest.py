"""The local tools' tests: moto on loopback (LOCAL_TOOLS_MOTO, else one of their own) and a fake
cargo lambda watch (FakeLambda) that records each invocation and answers as a test says.

Each test makes its own table, group and queue names, so one moto serves them all; a test
that needs a server nobody used yet (the user pool's seeded ids, a restart) starts one.
"""

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "tools"
MOTO_SERVER = Path(sys.executable).parent / "moto_server"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_until(condition, seconds=10.0, what="the condition"):
    deadline = time.monotonic() + seconds
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met after {seconds} s")
        time.sleep(0.05)
    return result


class Moto:
    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [MOTO_SERVER, "-H", "127.0.0.1", "-p", str(self.port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_until(self.answers, 30, f"moto on {self.url}")

    def answers(self):
        try:
            urllib.request.urlopen(f"{self.url}/moto-api/data.json", timeout=2).close()
            return True
        except OSError:
            return False

    def stop(self):
        self.process.terminate()
        self.process.wait()


@pytest.fixture(scope="session")
def moto_url():
    if os.environ.get("LOCAL_TOOLS_MOTO"):
        yield os.environ["LOCAL_TOOLS_MOTO"]
        return
    moto = Moto()
    yield moto.url
    moto.stop()


@pytest.fixture
def fresh_moto():
    """A moto of this test's own, started when called (more than one: call it again)."""
    started = []

    def start():
        started.append(Moto())
        return started[-1].url

    yield start
    for moto in started:
        moto.stop()


class FakeLambda:
    """Records each POST to /2015-03-31/functions/NAME/invocations; answers with `respond`."""

    def __init__(self, port=None):
        self.calls: list[tuple[str, dict, float]] = []  # function, payload, monotonic time
        self.respond = lambda function, payload: (200, b"null")
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                function = self.path.split("/")[3]
                payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.calls.append((function, payload, time.monotonic()))
                status, body = fake.respond(function, payload)
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port or 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_lambda():
    fake = FakeLambda()
    yield fake
    fake.stop()


@pytest.fixture
def names():
    suffix = uuid.uuid4().hex[:8]
    return {"table": f"tasks-{suffix}", "group": f"reminders-{suffix}", "queue": f"dead-letters-{suffix}"}


@pytest.fixture
def environment(moto_url, fake_lambda, names, monkeypatch):
    """The variables make dev gives the tools, here also set in this process (for in-process tests)."""
    values = {
        "AWS_ENDPOINT_URL_DYNAMODB": moto_url,
        "AWS_ENDPOINT_URL_SCHEDULER": moto_url,
        "AWS_ENDPOINT_URL_SQS": moto_url,
        "AWS_ENDPOINT_URL_SES": moto_url,
        "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER": moto_url,
        "AWS_ENDPOINT_URL_LAMBDA": fake_lambda.url,
        "TABLE_NAME": names["table"],
        "REMINDER_SCHEDULE_GROUP": names["group"],
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


class Tool:
    """A tool run in the background, as make dev runs it; stopped with SIGTERM."""

    def __init__(self, args, env, tmp_path):
        self.ready = tmp_path / f"ready-{uuid.uuid4().hex[:6]}"
        self.log = tmp_path / f"{Path(args[0]).stem}.log"
        self.process = subprocess.Popen(
            [sys.executable, TOOLS / args[0], *args[1:], "--ready", self.ready],
            env={**os.environ, **env},
            stderr=self.log.open("w"),
        )
        wait_until(lambda: self.ready.exists() or self.process.poll() is not None, 20, f"{args[0]} ready")
        assert self.process.poll() is None, self.output()

    def output(self):
        return self.log.read_text()

    def stop(self):
        self.process.terminate()
        return self.process.wait(10)


@pytest.fixture
def start_tool(environment, tmp_path):
    started = []

    def start(*args):
        started.append(Tool(args, environment, tmp_path))
        return started[-1]

    yield start
    for tool in started:
        if tool.process.poll() is None:
            tool.stop()


def aws(service, url):
    import boto3

    return boto3.client(
        service, endpoint_url=url, region_name="us-east-1", aws_access_key_id="local", aws_secret_access_key="local"
    )
