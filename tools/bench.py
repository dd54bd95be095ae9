"""`make bench`: cold start, latency, memory and size of the four functions, and of the floor.

Each release executable runs as Lambda runs it: a process that polls the Lambda Runtime API,
here an emulator on loopback in this script, against the local DynamoDB. The floor is a
minimal `lambda_runtime` function built with the same profile (crates/tasks/examples/
hello_floor.rs). Prints a table and writes the same figures as JSON.

Figures per function:
- init: process start to its first `/next` poll (what Lambda bills as Init Duration), the
  median of --cold-starts fresh processes (one sample is too noisy on a shared machine);
- first: the first invocation, event handed out to response received;
- warm p50 / p99 over --invocations invocations;
- outside DynamoDB p99: each warm invocation's time minus its own DynamoDB time, which the
  function logs (`dynamodbMs` of its request line);
- peak RSS: the process's VmHWM at the end;
- zip: target/lambda/<name>/bootstrap.zip as `cargo lambda build --output-format zip` made it.
Then list scaling: GET /tasks for a caller with 10 tasks, with 10 and with 10,000 tasks of
other callers in the table.

Usage: bench.py TARGET_DIR LAMBDA_DIR OUT_JSON [--invocations N]
"""

import argparse
import json
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
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"
FUNCTIONS = ["create-task", "get-tasks", "update-task", "delete-task"]
FLOOR = "hello_floor"


class RuntimeApi:
    """The Lambda Runtime API for one process: hands out queued events, times each answer."""

    def __init__(self):
        self.events = queue.Queue()
        self.results = queue.Queue()
        self.first_poll = None
        # When each event was handed out, by request id: set before the answer is written,
        # because the function may post its response on another connection before this
        # handler thread runs again.
        self.sent = {}
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                # Without it every small answer waits ~40 ms for Nagle and delayed ACK.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, *_):
                pass

            def do_GET(self):
                if api.first_poll is None:
                    api.first_poll = time.perf_counter()
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

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.address = "127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def invoke(self, event):
        """One invocation: (seconds, parsed response)."""
        self.events.put((str(uuid.uuid4()), event))
        kind, seconds, payload = self.results.get(timeout=30)
        if kind != "response":
            sys.exit(f"invocation failed ({kind}): {payload[:300]!r}")
        return seconds, json.loads(payload)

    def close(self):
        self.server.shutdown()


class Function:
    """One release executable running under its own Runtime API."""

    def __init__(self, executable, env):
        self.api = RuntimeApi()
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

    def _read_logs(self):
        self.log.seek(0)
        for line in self.log:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if record.get("message") == "request":
                self.request_lines.append(record)

    def invoke(self, event, expect=(200, 201)):
        seconds, response = self.api.invoke(event)
        status = response.get("statusCode")
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


def event(name, caller, task_id=None, body=None, query=None):
    e = json.loads((EVENTS / f"{name}.json").read_text())
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


def cold_inits(executable, env):
    """Init times of --cold-starts fresh processes (start to first poll), then stopped."""
    inits = []
    for _ in range(ARGS.cold_starts):
        function = Function(executable, env)
        inits.append(function.init)
        function.stop()
    return inits


def measure(executable, env, events, on_response=lambda response: None):
    """Init, first and warm figures for one function; `events` yields one event per call."""
    inits = cold_inits(executable, env)
    function = Function(executable, env)
    inits.append(function.init)

    def call():
        seconds, response = function.invoke(next(events))
        on_response(response)
        return seconds

    first = call()
    warm = [call() for _ in range(ARGS.invocations)]
    rss = function.peak_rss_kib()
    function.stop()
    lines = function.request_lines[1:]
    # End to end (runtime, event parsing, handler, response, emulator) minus DynamoDB time,
    # and the handler's own share of it (its log line's durationMs minus dynamodbMs).
    outside = [w - line["dynamodbMs"] / 1000 for w, line in zip(warm, lines)]
    handler_outside = [(line["durationMs"] - line["dynamodbMs"]) / 1000 for line in lines]
    dynamo = [line["dynamodbMs"] / 1000 for line in lines]
    return {
        "init_ms": ms(statistics.median(inits)),
        "init_min_ms": ms(min(inits)),
        "init_max_ms": ms(max(inits)),
        "cold_starts": len(inits),
        "first_ms": ms(first),
        "warm_p50_ms": ms(statistics.median(warm)),
        "warm_p99_ms": ms(percentile(warm, 0.99)),
        "dynamodb_p50_ms": ms(statistics.median(dynamo)) if dynamo else None,
        "dynamodb_p99_ms": ms(percentile(dynamo, 0.99)) if dynamo else None,
        "outside_dynamodb_p99_ms": ms(percentile(outside, 0.99)) if outside else None,
        "handler_outside_dynamodb_p99_ms": ms(percentile(handler_outside, 0.99)) if handler_outside else None,
        "peak_rss_mib": round(rss / 1024, 1) if rss else None,
        "invocations": len(warm),
    }


def main():
    target = Path(ARGS.target_dir)
    lambda_dir = Path(ARGS.lambda_dir)
    env = {k: v for k, v in os.environ.items()}
    env.update({
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_LOG_LEVEL": "info",
    })
    env.pop("TASKS_LOCAL_CALLER_ID", None)
    executable = lambda name: target / ("examples/" + name if name == FLOOR else name)
    results = {}
    caller = "bench-" + uuid.uuid4().hex[:8]
    n = ARGS.invocations + 1

    # create-task: every event creates a task; their ids feed the other functions.
    created = []

    def creates():
        body = json.loads(event("create-task", caller)["body"])
        while True:
            yield event("create-task", caller, body=body)

    function_env = lambda name: {**env, "AWS_LAMBDA_FUNCTION_NAME": name}
    keep_id = lambda response: created.append(json.loads(response["body"])["task"]["taskId"])
    results["create-task"] = measure(executable("create-task"), function_env("create-task"), creates(), keep_id)
    results["get-tasks"] = measure(executable("get-tasks"), function_env("get-tasks"),
                                   iter([event("get-task", caller, task_id=created[0])] * n))
    results["update-task"] = measure(executable("update-task"), function_env("update-task"),
                                     iter([event("patch-task", caller, task_id=created[1],
                                                 body={"description": "bench"})] * n))
    results["delete-task"] = measure(executable("delete-task"), function_env("delete-task"),
                                     (event("delete-task", caller, task_id=t) for t in created[:n]))
    results["floor"] = measure(executable(FLOOR), function_env(FLOOR),
                               iter([event("get-task", caller, task_id=created[0])] * n))

    for name in FUNCTIONS + ["floor"]:
        zip_path = lambda_dir / (FLOOR if name == "floor" else name) / "bootstrap.zip"
        results[name]["zip_bytes"] = zip_path.stat().st_size if zip_path.exists() else None

    results["list_scaling"] = list_scaling(executable, function_env)
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


def report(results):
    floor = results["floor"]
    rows = []
    header = ("function", "init ms (median)", "x floor", "first ms", "warm p50", "warm p99",
              "DDB p99", "outside DDB p99", "handler outside DDB p99", "peak RSS MiB", "zip KiB")
    for name in FUNCTIONS + ["floor"]:
        r = results[name]
        r["init_ratio_to_floor"] = round(r["init_ms"] / floor["init_ms"], 2)
        r["first_ratio_to_floor"] = round(r["first_ms"] / floor["first_ms"], 2)
        r["warm_p50_ratio_to_floor"] = round(r["warm_p50_ms"] / floor["warm_p50_ms"], 2)
        r["peak_rss_ratio_to_floor"] = round(r["peak_rss_mib"] / floor["peak_rss_mib"], 2)
        r["zip_ratio_to_floor"] = round(r["zip_bytes"] / floor["zip_bytes"], 2) if r["zip_bytes"] else None
        rows.append((name, r["init_ms"], r["init_ratio_to_floor"], r["first_ms"], r["warm_p50_ms"],
                     r["warm_p99_ms"], r["dynamodb_p99_ms"] if r["dynamodb_p99_ms"] is not None else "-",
                     r["outside_dynamodb_p99_ms"] if r["outside_dynamodb_p99_ms"] is not None else "-",
                     r["handler_outside_dynamodb_p99_ms"] if r["handler_outside_dynamodb_p99_ms"] is not None else "-",
                     r["peak_rss_mib"], round(r["zip_bytes"] / 1024) if r["zip_bytes"] else "-"))
    widths = [max(len(str(row[i])) for row in rows + [header]) for i in range(len(header))]
    line = lambda row: "  ".join(str(v).rjust(w) if i else str(v).ljust(w) for i, (v, w) in enumerate(zip(row, widths)))
    print()
    print("All times in ms; init is the median of %d cold starts; warm figures over %d invocations;" % (ARGS.cold_starts + 1, ARGS.invocations))
    print("DDB = time waiting for DynamoDB,")
    print("as each function logs it; 'outside DDB' is end to end through the emulator,")
    print("'handler outside DDB' is inside the handler only.")
    print(line(header))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line(row))
    print()
    print("Ratios to the floor (init, first, warm p50, peak RSS, zip):")
    for name in FUNCTIONS:
        r = results[name]
        print(f"  {name:<12} {r['init_ratio_to_floor']:>5}  {r['first_ratio_to_floor']:>6}  "
              f"{r['warm_p50_ratio_to_floor']:>5}  {r['peak_rss_ratio_to_floor']:>5}  {r['zip_ratio_to_floor']:>5}")
    s = results["list_scaling"]
    print()
    print(f"GET /tasks, caller with 10 tasks: p50 {s['p50_small_ms']} ms / p99 {s['p99_small_ms']} ms with 10 "
          f"tasks of other callers; p50 {s['p50_large_ms']} ms / p99 {s['p99_large_ms']} ms with 10,000; "
          f"ratio p50 {s['p50_ratio']}, p99 {s['p99_ratio']}")
    results["machine"] = {"cpus": os.cpu_count(), "platform": platform.platform(),
                          "warm_invocations": ARGS.invocations}
    Path(ARGS.out).write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nfigures written to {ARGS.out}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("target_dir")
    parser.add_argument("lambda_dir")
    parser.add_argument("out")
    parser.add_argument("--invocations", type=int, default=1000)
    parser.add_argument("--list-invocations", type=int, default=300)
    parser.add_argument("--cold-starts", type=int, default=15)
    ARGS = parser.parse_args()
    main()
