"""`make bench`: cold start, latency, memory and size of the functions, and of the floor.

Each release executable runs as Lambda runs it: a process that polls the Lambda Runtime API,
here an emulator on loopback in this script, against the local DynamoDB. The floor is a
minimal `lambda_runtime` function built with the same profile (crates/dev-tools/src/bin/
hello-floor.rs). Prints a table and writes the same figures as JSON.

Figures per function:
- init: process start to its first `/next` poll (what Lambda bills as Init Duration), the
  median of --cold-starts fresh processes (one sample is too noisy on a shared machine);
- first: the first invocation, event handed out to response received;
- warm p50 / p99 over --invocations invocations;
- outside DynamoDB p99: each warm invocation's time minus its own DynamoDB time, which the
  function logs (`dynamodbMs` of its request line);
- peak RSS: the process's VmHWM at the end;
- zip: target/lambda/<name>/bootstrap.zip as `cargo lambda build --output-format zip` made it.
Beside the task routes and task-events: live-socket's $connect and live-fanout's hints, and
task-reminders' delivery of one reminder by email, and the init and memory of the functions
invoked rarely (live-authorizer, delete-account, account-purge). Then list scaling: GET
/tasks for a caller with 10 tasks, with 10 and with 10,000 tasks of other callers in the table.

Usage: bench.py LAMBDA_DIR OUT_JSON --tls-endpoint URL --tls-ca PEM [--runs N] ...
"""

import argparse
import datetime
import functools
import io
import itertools
import json
import math
import os
import platform
import queue
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"
FUNCTIONS = ["create-task", "get-tasks", "update-task", "delete-task", "task-events"]
# Beside them: the live updates' two functions (on every change) and task-reminders, measured
# as those are, and the functions invoked rarely (so nearly always cold), by their cold start.
OTHER_MEASURED = ["live-socket", "live-fanout", "task-reminders"]
COLD_ONLY = ["live-authorizer", "delete-account", "account-purge"]
FLOOR = "hello-floor"


class LoopbackHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive on loopback, no access log, and TCP_NODELAY: without it every
    small answer waits ~40 ms for Nagle and delayed ACK."""

    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *_):
        pass


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A function stopped between invocations drops its kept-alive connections: not an error.
        if not isinstance(sys.exc_info()[1], ConnectionResetError):
            super().handle_error(request, client_address)


def serve_on_loopback(handler):
    """A threaded server of `handler` on a free loopback port, serving in the background."""
    server = LoopbackServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class RuntimeApi:
    """The Lambda Runtime API for one process: hands out queued events, times each answer."""

    def __init__(self, on_first_poll=lambda: None):
        self.events = queue.Queue()
        self.results = queue.Queue()
        self.first_poll = None
        # When each event was handed out, by request id: set before the answer is written,
        # because the function may post its response on another connection before this
        # handler thread runs again.
        self.sent = {}
        api = self

        class Handler(LoopbackHandler):
            def do_GET(self):
                if api.first_poll is None:
                    polled = time.perf_counter()
                    # Init is over: from here on the function runs at its CPU share.
                    on_first_poll()
                    api.first_poll = polled
                request_id, event = api.events.get()
                body = json.dumps(event).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Lambda-Runtime-Aws-Request-Id", request_id)
                self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 10_000))
                self.send_header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:bench")
                self.send_header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")
                self.send_header("Content-Length", str(len(body)))
                api.sent[request_id] = time.perf_counter()
                self.end_headers()
                self.wfile.write(body)
                self.wfile.flush()

            def do_POST(self):
                received = time.perf_counter()
                length = int(self.headers.get("Content-Length", 0))
                payload = self.rfile.read(length)
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()
                # /2018-06-01/runtime/invocation/<request id>/response (or /error)
                parts = self.path.rstrip("/").split("/")
                kind, request_id = parts[-1], parts[-2]
                sent = api.sent.pop(request_id, received)
                api.results.put((kind, received - sent, payload))

        self.server = serve_on_loopback(Handler)
        self.address = "127.0.0.1:%d" % self.server.server_address[1]

    def invoke(self, event):
        """One invocation: (seconds, parsed response)."""
        self.events.put((str(uuid.uuid4()), event))
        kind, seconds, payload = self.results.get(timeout=30)
        if kind != "response":
            sys.exit(f"invocation failed ({kind}): {payload[:300]!r}")
        return seconds, json.loads(payload)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class CpuShare:
    """Lambda's CPU for a MemorySize: 1,769 MB is one vCPU, so a 128 MB function gets 7.2 %
    of one while it handles invocations (init runs unthrottled). A cgroup v1 `cpu` group with
    that CFS quota; a process joins it when it first polls for an invocation."""

    ROOT = Path("/sys/fs/cgroup/cpu")
    PERIOD_US = 100_000

    def __init__(self, memory_mb):
        self.fraction = memory_mb / 1769
        self.path = self.ROOT / f"task-bench-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.path.mkdir()
        (self.path / "cpu.cfs_period_us").write_text(str(self.PERIOD_US))
        (self.path / "cpu.cfs_quota_us").write_text(str(int(self.PERIOD_US * self.fraction)))

    def admit(self, pid):
        (self.path / "cgroup.procs").write_text(str(pid))

    def close(self):
        # Processes must have left (exited) before the group can go.
        for _ in range(50):
            try:
                self.path.rmdir()
                return
            except OSError:
                time.sleep(0.05)

    @classmethod
    def available(cls):
        return os.geteuid() == 0 and (cls.ROOT / "cpu.cfs_quota_us").exists()


class Function:
    """One release executable running under its own Runtime API, at a CPU share if given."""

    def __init__(self, executable, env, share=None):
        self.process = None
        self.api = RuntimeApi(on_first_poll=lambda: share and share.admit(self._pid()))
        self.request_lines = []
        # The log goes to a file, read after the run: a thread reading a pipe here would
        # compete with the emulator's threads and show up in the timings.
        self.log = tempfile.TemporaryFile(mode="w+")
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [str(executable)],
            env={**env, "AWS_LAMBDA_RUNTIME_API": self.api.address},
            stdout=self.log,
            stderr=subprocess.DEVNULL,
        )
        # Wait for the first poll: the end of init.
        while self.api.first_poll is None:
            if self.process.poll() is not None:
                sys.exit(f"{executable} exited during init")
            time.sleep(0.0002)
        self.init = self.api.first_poll - started

    def _pid(self):
        while self.process is None:  # the first poll can come before Popen returns
            time.sleep(0.0001)
        return self.process.pid

    def cpu_seconds(self):
        """User and system CPU time the process has used so far."""
        with open(f"/proc/{self.process.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def _read_logs(self):
        self.log.seek(0, os.SEEK_END)
        self.log_bytes = self.log.tell()
        self.log.seek(0)
        self.request_line_bytes = self.metrics_bytes = 0
        for line in self.log:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if record.get("message") == "request":
                self.request_lines.append(record)
                self.request_line_bytes += len(line.encode())
            elif "_aws" in record:
                self.metrics_bytes += len(line.encode())

    def invoke(self, event, expect=(200, 201)):
        seconds, response = self.api.invoke(event)
        status = response.get("statusCode") if isinstance(response, dict) else None
        if expect and status not in expect:
            sys.exit(f"unexpected status {status}: {json.dumps(response)[:300]}")
        return seconds, response

    def peak_rss_kib(self):
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        return None

    def stop(self):
        self.process.terminate()
        self.process.wait()
        self.api.close()
        self._read_logs()
        self.log.close()


@functools.cache
def sample_text(name):
    return (EVENTS / f"{name}.json").read_text()


def sample(name):
    """A fresh copy of events/NAME.json, the file read once: events are made per invocation."""
    return json.loads(sample_text(name))


def event(name, caller, task_id=None, body=None, query=None):
    e = sample(name)
    e["requestContext"]["authorizer"]["claims"]["sub"] = caller
    if task_id:
        e["path"] = f"/tasks/{task_id}"
        e["pathParameters"] = {"taskId": task_id}
    if body is not None:
        e["body"] = json.dumps(body)
    if query is not None:
        e["queryStringParameters"] = query
        e["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()}
    return e


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def ms(seconds):
    return round(seconds * 1000, 3)


class StubService:
    """An AWS API on loopback that answers every request at once, and adds up the time it
    spent answering, so that a function's own time is its invocation minus this.
    `answer(path, headers, body)` gives the answer's body."""

    def __init__(self, answer, content_type="application/x-amz-json-1.1"):
        self.seconds = 0.0
        self.requests = 0
        self.lock = threading.Lock()
        stub = self

        class Handler(LoopbackHandler):
            def do_POST(self):
                started = time.perf_counter()
                body = answer(self.path, self.headers, self.rfile.read(int(self.headers.get("Content-Length", 0))))
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                with stub.lock:
                    stub.seconds += time.perf_counter() - started
                    stub.requests += 1

        self.server = serve_on_loopback(Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def stub_eventbridge():
    """PutEvents that accepts every entry."""
    return StubService(lambda _path, _headers, body: put_events(body))


def put_events(body):
    entries = [{"EventId": str(uuid.uuid4())} for _ in json.loads(body).get("Entries", [])]
    return json.dumps({"FailedEntryCount": 0, "Entries": entries}).encode()


def stub_management_api():
    """API Gateway's management API: every PostToConnection delivered (200, no body)."""
    return StubService(lambda _path, _headers, _body: b"", content_type="application/json")


def stream_batch(size):
    """A DynamoDB Streams batch of `size` task inserts, from events/stream-insert.json."""
    template = sample("stream-insert")
    record = template["Records"][0]
    records = []
    for i in range(size):
        r = json.loads(json.dumps(record))
        task_id = str(uuid.uuid4())
        r["dynamodb"]["Keys"]["taskId"]["S"] = task_id
        r["dynamodb"]["NewImage"]["taskId"]["S"] = task_id
        r["dynamodb"]["SequenceNumber"] = str(10**20 + i)
        r["eventID"] = uuid.uuid4().hex
        records.append(r)
    return {"Records": records}


def cold_inits(executable, env, share):
    """Init times of --cold-starts fresh processes (start to first poll), then stopped."""
    inits = []
    for _ in range(ARGS.cold_starts):
        function = Function(executable, env, share)
        inits.append(function.init)
        function.stop()
    return inits


def measure(executable, env, events, share=None, on_response=lambda response: None,
            expect=(200, 201)):
    """Init, first and warm figures for one function; `events` yields one event per call."""
    inits = cold_inits(executable, env, share)
    function = Function(executable, env, share)
    inits.append(function.init)

    def call():
        seconds, response = function.invoke(next(events), expect=expect)
        on_response(response)
        return seconds

    first = call()
    cpu_before = function.cpu_seconds()
    warm = [call() for _ in range(ARGS.invocations)]
    cpu_per_invocation = (function.cpu_seconds() - cpu_before) / len(warm)
    rss = function.peak_rss_kib()
    function.stop()
    log_bytes_per_invocation = function.log_bytes / (len(warm) + 1)
    request_line_bytes = function.request_line_bytes / (len(warm) + 1)
    metrics_bytes = function.metrics_bytes / (len(warm) + 1)
    lines = function.request_lines[1:]
    # End to end (runtime, event parsing, handler, response, emulator) minus DynamoDB time.
    dynamo = [line["dynamodbMs"] / 1000 for line in lines] or [0.0] * len(warm)
    outside = [w - d for w, d in zip(warm, dynamo)]
    return {
        "init_ms": ms(statistics.median(inits)),
        "first_ms": ms(first),
        "warm_p50_ms": ms(statistics.median(warm)),
        "warm_p99_ms": ms(percentile(warm, 0.99)),
        "dynamodb_p50_ms": ms(statistics.median(dynamo)),
        "outside_dynamodb_p50_ms": ms(statistics.median(outside)),
        "outside_dynamodb_p99_ms": ms(percentile(outside, 0.99)),
        "cpu_per_invocation_ms": ms(cpu_per_invocation),
        # What Lambda bills: each invocation rounded up to the millisecond; a cold one
        # also pays its init (custom runtimes' init is billed).
        "billed_warm_mean_ms": round(statistics.mean(math.ceil(w * 1000) for w in warm), 3),
        "billed_cold_ms": math.ceil((statistics.median(inits) + first) * 1000),
        "peak_rss_mib": round(rss / 1024, 1) if rss else None,
        # What the function writes to CloudWatch Logs per request (its request line and EMF
        # metrics; Lambda's own platform lines are not included).
        "log_bytes_per_invocation": round(log_bytes_per_invocation),
        "log_lines_per_invocation": 2 if request_line_bytes and metrics_bytes else (1 if log_bytes_per_invocation else 0),
        "request_line_bytes": round(request_line_bytes),
        "metrics_record_bytes": round(metrics_bytes),
    }


# How each mode runs the functions: where DynamoDB is, whether init opens the connection,
# and at which CPU share invocations run.
MODES = {
    # As Lambda runs it: TLS to DynamoDB (a proxy with a test CA), invocations at the CPU
    # share of 128 MB, init unthrottled.
    "lambda": {"tls": True, "share": True, "prime": True},
    # The same without opening the connection during init: what priming saves.
    "lambda-unprimed": {"tls": True, "share": True, "prime": False},
    # The development machine's view: plain HTTP, the whole CPU.
    "local": {"tls": False, "share": False, "prime": True},
}


def reminder_settings(endpoint):
    """What task-events needs to keep reminder schedules (template.yaml sets them)."""
    return {"REMINDER_SCHEDULE_GROUP": "bench-reminders",
            "REMINDER_TARGET_ARN": "arn:aws:lambda:us-east-1:123456789012:function:task-reminders",
            "REMINDER_ROLE_ARN": "arn:aws:iam::123456789012:role/bench-scheduler",
            "REMINDER_DEAD_LETTER_ARN": "arn:aws:sqs:us-east-1:123456789012:bench-reminders-dlq",
            "AWS_ENDPOINT_URL_SCHEDULER": endpoint, "AWS_ENDPOINT_URL_LAMBDA": endpoint}


def connect_event(user, connection_id):
    """events/live-connect.json for `user` (as the authorizer names it) on a new connection."""
    e = sample("live-connect")
    e["requestContext"]["authorizer"].update(principalId=user, sub=user)
    e["requestContext"]["connectionId"] = connection_id
    return e


def live_updates(executable, function_env, share, n):
    """live-socket's $connect (each a first connection of a new user: one conditional write)
    and live-fanout's hints for one TaskAssigned event to the owner's 2 connections and the
    assignee's 1 (three reads, three posts, at once), the management API answered at once by
    a stub, whose own time per post is kept beside the figures."""
    results = {}
    management = stub_management_api()
    live_env = lambda name: {**function_env(name), "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI": management.url}
    run = uuid.uuid4().hex[:8]
    connects = (connect_event(f"bench-live-{run}-{i}", f"bench{run}{i}=") for i in itertools.count())
    figures = measure(executable("live-socket"), live_env("live-socket"), connects, share, expect=(200,))
    results["live-socket"] = figures

    owner, assignee = f"bench-owner-{run}", f"bench-assignee-{run}"
    socket_function = Function(executable("live-socket"), live_env("live-socket"))
    for user, connection in [(owner, "owner-1="), (owner, "owner-2="), (assignee, "assignee-1=")]:
        socket_function.invoke(connect_event(user, f"{connection}{run}"), expect=(200,))
    socket_function.stop()
    assigned = sample("live-task-assigned")
    assigned["detail"].update(ownerId=owner, assignee=assignee, previousAssignee=f"bench-previous-{run}")
    posts_before = management.requests
    delivered = lambda response: response is None or sys.exit(f"live-fanout failed: {response}")
    figures = measure(executable("live-fanout"), live_env("live-fanout"), iter([assigned] * n), share,
                      on_response=delivered, expect=None)
    if management.requests - posts_before != 3 * n:
        sys.exit(f"live-fanout posted {management.requests - posts_before} hints, not {3 * n}")
    figures["stub_seconds_per_post_ms"] = ms(management.seconds / (3 * n))
    results["live-fanout"] = figures
    management.close()
    return results


def reminder_services(_path, headers, body):
    """EventBridge's PutEvents, Cognito's ListUsers (the user of the sub asked for, with a
    verified address) and SES's SendEmail, answered as task-reminders needs."""
    target = headers.get("X-Amz-Target", "")
    if target.endswith(".PutEvents"):
        return put_events(body)
    if target.endswith(".ListUsers"):
        sub = json.loads(body)["Filter"].split('"')[1]
        attributes = [{"Name": "sub", "Value": sub}, {"Name": "email", "Value": f"{sub}@bench.test"},
                      {"Name": "email_verified", "Value": "true"}]
        return json.dumps({"Users": [{"Username": sub, "Enabled": True, "UserStatus": "CONFIRMED",
                                      "Attributes": attributes}]}).encode()
    return json.dumps({"MessageId": str(uuid.uuid4())}).encode()  # SES v2: POST /v2/email/outbound-emails


def reminder_deliveries(executable, function_env, share, n):
    """task-reminders delivering one reminder each: the task read, the delivery claimed,
    TaskReminderDue put, the owner's address looked up and one email sent, each step recorded.
    The tasks are made by create-task, each with a reminder 3 s ahead, and fired once the last
    is due (2 s early is due: the clock skew task-reminders allows). The services are a stub."""
    stub = StubService(reminder_services)
    env = {**function_env("task-reminders"), "EVENT_BUS_NAME": "bench", "AWS_ENDPOINT_URL_EVENTBRIDGE": stub.url,
           "REMINDER_SENDER": "reminders@bench.test", "USER_POOL_ID": "us-east-1_bench",
           "WEB_APP_URL": "https://app.bench.test", "AWS_ENDPOINT_URL_SES": stub.url,
           "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER": stub.url}
    owner = str(uuid.uuid4())  # a Cognito sub: only those are mailed
    creator = Function(executable("create-task"), function_env("create-task"))
    firings = []
    for i in range(n):
        remind_at = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=3)
        body = {"title": f"remind me {i}", "remindAt": remind_at.isoformat(timespec="milliseconds")}
        task = json.loads(creator.invoke(event("create-task", owner, body=body))[1]["body"])["task"]
        firings.append({"taskId": task["taskId"], "remindAt": task["remindAt"]})
    creator.stop()
    due = remind_at - datetime.timedelta(seconds=1.5)
    time.sleep(max(0.0, (due - datetime.datetime.now(datetime.UTC)).total_seconds()))
    requests_before = stub.requests
    delivered = lambda response: (response == {"outcome": "delivered", "emails": 1}
                                  or sys.exit(f"task-reminders did not deliver: {response}"))
    figures = measure(executable("task-reminders"), env, iter(firings), share, on_response=delivered, expect=None)
    # Three calls a delivery (PutEvents, ListUsers, SendEmail): none skipped, none repeated.
    if stub.requests - requests_before != 3 * n:
        sys.exit(f"task-reminders made {stub.requests - requests_before} service calls, not {3 * n}")
    figures["stub_seconds_per_call_ms"] = ms(stub.seconds / (3 * n))
    stub.close()
    return figures


def cold_only(executable, function_env, share):
    """The functions invoked rarely (a connection's authorization, an account's deletion),
    and so nearly always cold: their init and their memory after it. Their AWS
    services are a stub that is never called."""
    stub = StubService(lambda _path, _headers, _body: b"{}")
    queue_url = f"{stub.url}/123456789012/account-purge"
    env = {
        "live-authorizer": {"USER_POOL_ID": "us-east-1_bench", "ALLOWED_CLIENT_IDS": "bench-client"},
        "delete-account": {"ACCOUNT_PURGE_QUEUE_URL": queue_url, "AWS_ENDPOINT_URL_SQS": stub.url,
                           "USER_POOL_ID": "us-east-1_bench", "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER": stub.url},
        "account-purge": {"ACCOUNT_PURGE_QUEUE_URL": queue_url, "AWS_ENDPOINT_URL_SQS": stub.url},
    }
    results = {}
    for name in COLD_ONLY:
        inits, rss = [], []
        for _ in range(ARGS.cold_starts + 1):
            function = Function(executable(name), {**function_env(name), **env[name]}, share)
            inits.append(function.init)
            rss.append(function.peak_rss_kib())
            function.stop()
        results[name] = {"init_ms": ms(statistics.median(inits)),
                         "peak_rss_after_init_mib": round(statistics.median(rss) / 1024, 1)}
    stub.close()
    if stub.requests:
        sys.exit(f"a function called its AWS services during init ({stub.requests} requests)")
    return results


def run_mode(mode, executable, base_env):
    settings = MODES[mode]
    env = dict(base_env)
    if settings["tls"]:
        env["AWS_ENDPOINT_URL_DYNAMODB"] = ARGS.tls_endpoint
        env["SSL_CERT_FILE"] = ARGS.tls_ca
    env["DYNAMODB_OPEN_CONNECTION_ON_INIT"] = "true" if settings["prime"] else "false"
    share = CpuShare(ARGS.memory) if settings["share"] else None
    function_env = lambda name: {**env, "AWS_LAMBDA_FUNCTION_NAME": name}
    caller = "bench-" + uuid.uuid4().hex[:8]
    n = ARGS.invocations + 1
    results = {}
    created = []

    def creates():
        body = json.loads(event("create-task", caller)["body"])
        while True:
            yield event("create-task", caller, body=body)

    keep_id = lambda response: created.append(json.loads(response["body"])["task"]["taskId"])
    try:
        results["create-task"] = measure(executable("create-task"), function_env("create-task"),
                                         creates(), share, keep_id)
        results["get-tasks"] = measure(executable("get-tasks"), function_env("get-tasks"),
                                       iter([event("get-task", caller, task_id=created[0])] * n), share)
        results["update-task"] = measure(executable("update-task"), function_env("update-task"),
                                         iter([event("patch-task", caller, task_id=created[1],
                                                     body={"description": "bench"})] * n), share)
        results["delete-task"] = measure(executable("delete-task"), function_env("delete-task"),
                                         (event("delete-task", caller, task_id=t) for t in created[:n]),
                                         share)
        results["floor"] = measure(executable(FLOOR), function_env(FLOOR),
                                   iter([event("get-task", caller, task_id=created[0])] * n), share)
        # task-events: batches of 100 stream records, EventBridge answered by a stub at once.
        stub = stub_eventbridge()
        # The inserts carry no reminder: Scheduler and Lambda, pointed at the stub too, are
        # never called (a call would fail the batch, and the bench with it).
        events_env = {**function_env("task-events"), "EVENT_BUS_NAME": "bench",
                      "AWS_ENDPOINT_URL_EVENTBRIDGE": stub.url, **reminder_settings(stub.url)}
        batch = stream_batch(100)
        failed = lambda response: response.get("batchItemFailures") and sys.exit(f"task-events failed: {response}")
        figures = measure(executable("task-events"), events_env, iter([batch] * n), share,
                          on_response=failed, expect=None)
        stub.close()
        # Per batch: the stub's own answering time (ten PutEvents) is EventBridge's part. Only
        # invocations reach it (cold starts do not): n, the first and the warm ones.
        stub_per_batch = stub.seconds / n
        figures["batch_of_100_outside_eventbridge_p50_ms"] = round(figures["warm_p50_ms"] - ms(stub_per_batch), 3)
        results["task-events"] = figures
        results.update(live_updates(executable, function_env, share, n))
        results["task-reminders"] = reminder_deliveries(executable, function_env, share, n)
        results.update(cold_only(executable, function_env, share))
    finally:
        if share:
            share.close()
    return results


def main():
    lambda_dir = Path(ARGS.lambda_dir)
    env = {k: v for k, v in os.environ.items()}
    env.update({
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(ARGS.memory),
        "AWS_LAMBDA_LOG_LEVEL": "info",
    })
    env.pop("TASKS_LOCAL_CALLER_ID", None)
    executable = lambda name: lambda_dir / name / "bootstrap"
    modes = [m for m in MODES if MODES[m]["share"] is False or CpuShare.available()]
    if len(modes) < len(MODES):
        print("not root or no cgroup v1 cpu controller: only the 'local' mode is measured")

    runs = {mode: [] for mode in modes}
    for run in range(ARGS.runs):
        for mode in modes:
            print(f"run {run + 1}/{ARGS.runs}: {mode}", flush=True)
            runs[mode].append(run_mode(mode, executable, env))

    # The median of the runs, metric by metric.
    results = {"modes": {}, "runs": runs}
    for mode, mode_runs in runs.items():
        results["modes"][mode] = {
            name: {
                metric: statistics.median(run[name][metric] for run in mode_runs)
                for metric in mode_runs[0][name]
            }
            for name in mode_runs[0]
        }
    # What is uploaded: the bootstrap deflated into a zip, as cargo lambda and sam package it.
    zips = {}
    for name in FUNCTIONS + OTHER_MEASURED + COLD_ONLY + ["floor"]:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(executable(FLOOR if name == "floor" else name), "bootstrap")
        zips[name] = len(buffer.getvalue())
    results["zip_bytes"] = zips
    if ARGS.list_invocations:
        local_env = lambda name: {**env, "AWS_LAMBDA_FUNCTION_NAME": name}
        results["list_scaling"] = list_scaling(executable, local_env)
    report(results)


def list_scaling(executable, function_env):
    listing_caller = "bench-list-" + uuid.uuid4().hex[:8]
    creator = Function(executable("create-task"), function_env("create-task"))
    for i in range(10):
        creator.invoke(event("create-task", listing_caller, body={"title": f"mine {i}"}))
    others = [f"bench-other-{uuid.uuid4().hex[:8]}" for _ in range(100)]
    for i in range(10):
        creator.invoke(event("create-task", others[i], body={"title": "theirs"}))

    def list_latency():
        lister = Function(executable("get-tasks"), function_env("get-tasks"))
        list_event = event("list-tasks", listing_caller)
        lister.invoke(list_event)
        samples = [lister.invoke(list_event)[0] for _ in range(ARGS.list_invocations)]
        count = json.loads(lister.invoke(list_event)[1]["body"])["count"]
        lister.stop()
        assert count == 10, count
        return statistics.median(samples), percentile(samples, 0.99)

    small_p50, small_p99 = list_latency()
    started = time.perf_counter()
    for i in range(10_000 - 10):
        creator.invoke(event("create-task", others[i % len(others)], body={"title": f"theirs {i}"}))
    fill_seconds = time.perf_counter() - started
    creator.stop()
    large_p50, large_p99 = list_latency()
    return {
        "other_tasks_small": 10,
        "other_tasks_large": 10_000,
        "p50_small_ms": ms(small_p50),
        "p99_small_ms": ms(small_p99),
        "p50_large_ms": ms(large_p50),
        "p99_large_ms": ms(large_p99),
        "p50_ratio": round(large_p50 / small_p50, 3),
        "p99_ratio": round(large_p99 / small_p99, 3),
        "fill_seconds": round(fill_seconds, 1),
        "invocations": ARGS.list_invocations,
    }


def print_table(title, header, rows):
    widths = [max(len(str(row[i])) for row in rows + [header]) for i in range(len(header))]
    line = lambda row: "  ".join(str(v).rjust(w) if i else str(v).ljust(w) for i, (v, w) in enumerate(zip(row, widths)))
    print()
    print(title)
    print(line(header))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line(row))


def report(results):
    header = ("function", "init", "x floor", "first", "first/p50", "warm p50", "warm p99",
              "outside DDB p50", "- floor p50", "CPU/inv", "peak RSS MiB", "zip KiB")
    for mode, figures in results["modes"].items():
        floor = figures["floor"]
        rows = []
        for name in FUNCTIONS + ["floor"]:
            r = figures[name]
            r["init_ratio_to_floor"] = round(r["init_ms"] / floor["init_ms"], 2)
            r["first_ratio_to_warm_p50"] = round(r["first_ms"] / r["warm_p50_ms"], 2)
            r["outside_dynamodb_p50_minus_floor_warm_p50_ms"] = round(
                r["outside_dynamodb_p50_ms"] - floor["warm_p50_ms"], 3)
            zip_bytes = results["zip_bytes"].get(name)
            rows.append((name, r["init_ms"], r["init_ratio_to_floor"], r["first_ms"],
                         r["first_ratio_to_warm_p50"], r["warm_p50_ms"], r["warm_p99_ms"],
                         r["outside_dynamodb_p50_ms"], r["outside_dynamodb_p50_minus_floor_warm_p50_ms"],
                         r["cpu_per_invocation_ms"], r["peak_rss_mib"],
                         round(zip_bytes / 1024) if zip_bytes else "-"))
        print_table(f"{mode}: {describe(mode)}", header, rows)
    header = ("function", "init", "x floor", "first", "warm p50", "warm p99", "CPU/inv", "peak RSS MiB",
              "zip KiB")
    for mode, figures in results["modes"].items():
        floor = figures["floor"]
        rows = []
        for name in OTHER_MEASURED + COLD_ONLY:
            r = figures[name]
            r["init_ratio_to_floor"] = round(r["init_ms"] / floor["init_ms"], 2)
            zip_kib = round(results["zip_bytes"][name] / 1024)
            if name in OTHER_MEASURED:
                rows.append((name, r["init_ms"], r["init_ratio_to_floor"], r["first_ms"], r["warm_p50_ms"],
                             r["warm_p99_ms"], r["cpu_per_invocation_ms"], r["peak_rss_mib"], zip_kib))
            else:
                rows.append((name, r["init_ms"], r["init_ratio_to_floor"], "-", "-", "-", "-",
                             f"{r['peak_rss_after_init_mib']} (init)", zip_kib))
        print_table(f"{mode}, the other functions: {describe(mode)}", header, rows)
    print()
    for mode, figures in results["modes"].items():
        f = figures["task-events"]
        print(f"task-events, {mode}: a batch of 100 stream records takes {f['warm_p50_ms']} ms at p50, "
              f"{f['batch_of_100_outside_eventbridge_p50_ms']} ms of it outside EventBridge")
    for mode, figures in results["modes"].items():
        f = figures["task-reminders"]
        print(f"task-reminders, {mode}: one reminder delivered by email takes {f['warm_p50_ms']} ms at p50; "
              f"the stub services spent {f['stub_seconds_per_call_ms']} ms answering each of its 3 calls")
    for mode, figures in results["modes"].items():
        f = figures["live-fanout"]
        print(f"live-fanout, {mode}: 3 hints take {f['warm_p50_ms']} ms at p50; the stub management API "
              f"spent {f['stub_seconds_per_post_ms']} ms answering each post")
    print(f"Times in ms, medians of {ARGS.runs} runs; in each run init is the median of "
          f"{ARGS.cold_starts + 1} cold starts and warm figures are over {ARGS.invocations} "
          "invocations. 'outside DDB' = end to end minus the function's own DynamoDB time; "
          "'- floor p50' subtracts the floor's warm p50; CPU/inv = CPU time per warm invocation. "
          "live-socket: a user's first $connect; live-fanout: one TaskAssigned event, 3 hints "
          "posted at once to a stub management API; task-reminders: one reminder, one email; the "
          "others: init only, and their memory after it.")
    if "list_scaling" in results:
        s = results["list_scaling"]
        print(f"GET /tasks, caller with 10 tasks: p50 {s['p50_small_ms']} ms / p99 {s['p99_small_ms']} ms "
              f"with 10 tasks of other callers; p50 {s['p50_large_ms']} ms / p99 {s['p99_large_ms']} ms "
              f"with 10,000; ratio p50 {s['p50_ratio']}, p99 {s['p99_ratio']}")
    results["machine"] = {"cpus": os.cpu_count(), "platform": platform.platform(),
                          "memory_mb": ARGS.memory, "runs": ARGS.runs,
                          "warm_invocations": ARGS.invocations, "cold_starts": ARGS.cold_starts + 1}
    Path(ARGS.out).write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nfigures written to {ARGS.out}")


def describe(mode):
    m = MODES[mode]
    return ", ".join([
        "TLS to DynamoDB" if m["tls"] else "plain HTTP to DynamoDB",
        f"invocations at the CPU share of {ARGS.memory} MB" if m["share"] else "whole CPU",
        "connection opened during init" if m["prime"] else "connection opened by the first invocation",
    ])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("lambda_dir", help="target/lambda: <function>/bootstrap of each")
    parser.add_argument("out")
    parser.add_argument("--invocations", type=int, default=300)
    parser.add_argument("--list-invocations", type=int, default=300,
                        help="0 skips the list-scaling measurement")
    parser.add_argument("--cold-starts", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--memory", type=int, default=128, help="MemorySize in MB")
    parser.add_argument("--tls-endpoint", required=True, help="https endpoint of the TLS proxy")
    parser.add_argument("--tls-ca", required=True, help="PEM of the test CA the proxy's certificate chains to")
    ARGS = parser.parse_args()
    main()
