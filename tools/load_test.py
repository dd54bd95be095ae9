#!/usr/bin/env python3
"""Load test for `make test`: one caller, 16 parallel writers, thousands of writes through
the local stack (the REST gateway stand-in, the real handlers, the local DynamoDB), then an
account of every write. Not a benchmark: it asserts correctness under load, never a time.

    load_test.py BASE_URL [--writers 16] [--tasks-per-writer 60] [--updates-per-task 2]

Every writer creates its own tasks (half with an Idempotency-Key) and updates each of them,
with If-Match, several times; all writers also update one shared task without If-Match. All
of one caller's tasks share one partition key in each index: the hot-partition case.

A 503 is the one 5xx allowed: the writer retries it as a client should (a keyed create with
the same key, an update with the same If-Match, recognising its own write when the answer was
lost). Afterwards every task must exist with exactly the version its successful updates give,
the shared task's version must count every update, and the caller's listing must hold
exactly the tasks created. Prints `load: N passed, N failed` last.
"""

import argparse
import http.client
import json
import sys
import threading
import time
import uuid
from urllib.parse import urlparse

MAX_RETRIES = 5


class Client:
    """One keep-alive connection per writer, as an SDK would hold."""

    def __init__(self, base_url):
        url = urlparse(base_url)
        self.host, self.port = url.hostname, url.port
        self.connection = None

    def request(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for attempt in range(3):
            try:
                if self.connection is None:
                    self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
                self.connection.request(method, path, body=payload, headers=headers)
                response = self.connection.getresponse()
                text = response.read()
                return response.status, dict(response.getheaders()), json.loads(text) if text else None
            except (ConnectionError, http.client.HTTPException):
                self.connection = None  # the gateway closed it; open another
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.statuses = {}
        self.problems = []
        self.retries = 0

    def count(self, status):
        with self.lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1

    def problem(self, text):
        with self.lock:
            self.problems.append(text)


def create(client, tally, title, keyed):
    headers = {"Idempotency-Key": str(uuid.uuid4())} if keyed else {}
    body = {"title": title, "tags": ["load"]}
    for attempt in range(MAX_RETRIES):
        status, _, answer = client.request("POST", "/tasks", body, headers)
        tally.count(status)
        if status == 201:
            return answer["task"]
        if status == 503 and keyed:
            with tally.lock:
                tally.retries += 1
            time.sleep(0.05 * (attempt + 1))
            continue  # the same key: at most one task, whatever happened to the first try
        tally.problem(f"create {title!r}: {status} {answer}")
        return None
    tally.problem(f"create {title!r}: still 503 after {MAX_RETRIES} tries")
    return None


def update(client, tally, task_id, version, description):
    """An If-Match update, retried on 503; returns the new version or None."""
    path = f"/tasks/{task_id}"
    for attempt in range(MAX_RETRIES):
        status, _, answer = client.request("PATCH", path, {"description": description},
                                           {"If-Match": f'"{version}"'})
        tally.count(status)
        if status == 200:
            return answer["task"]["version"]
        if status == 503:
            with tally.lock:
                tally.retries += 1
            time.sleep(0.05 * (attempt + 1))
            continue
        if status == 412 and attempt > 0:
            # After a 503: our write may have landed with its answer lost.
            _, _, current = client.request("GET", path)
            if current["task"]["description"] == description and current["task"]["version"] == version + 1:
                return version + 1
        tally.problem(f"update {task_id}: {status} {answer}")
        return None
    tally.problem(f"update {task_id}: still 503 after {MAX_RETRIES} tries")
    return None


def writer(base_url, index, args, shared_id, tally, created, shared_updates):
    client = Client(base_url)
    for n in range(args.tasks_per_writer):
        task = create(client, tally, f"load {index}-{n}", keyed=n % 2 == 0)
        if task is None:
            continue
        version = task["version"]
        for u in range(args.updates_per_task):
            new_version = update(client, tally, task["taskId"], version, f"update {u}")
            if new_version is not None:
                version = new_version
        with tally.lock:
            created[task["taskId"]] = version
        # Unconditional updates of the one shared task: none may be lost.
        status, _, _ = client.request("PATCH", f"/tasks/{shared_id}", {"priority": ["low", "high"][n % 2]})
        tally.count(status)
        if status == 200:
            with tally.lock:
                shared_updates[0] += 1
        elif status != 503:
            tally.problem(f"shared update: {status}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("base_url")
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--tasks-per-writer", type=int, default=60)
    parser.add_argument("--updates-per-task", type=int, default=2)
    args = parser.parse_args()

    tally = Tally()
    client = Client(args.base_url)
    shared = create(client, tally, "shared by every writer", keyed=True)
    created, shared_updates = {}, [0]
    started = time.perf_counter()
    threads = [threading.Thread(target=writer, args=(args.base_url, i, args, shared["taskId"], tally,
                                                     created, shared_updates))
               for i in range(args.writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    writes = sum(count for status, count in tally.statuses.items() if status in (200, 201, 503))

    checks = []

    def check(ok, what):
        checks.append((ok, what))
        if not ok:
            print(f"  FAILED: {what}")

    server_errors = {s: c for s, c in tally.statuses.items() if s >= 500 and s != 503}
    check(not server_errors, f"no 5xx but 503 (got {server_errors})")
    check(not tally.problems, f"every request answered as the contract says ({tally.problems[:5]})")
    expected_tasks = args.writers * args.tasks_per_writer
    check(len(created) == expected_tasks, f"{len(created)} of {expected_tasks} tasks created")
    wrong_versions = []
    for task_id, version in created.items():
        status, _, answer = client.request("GET", f"/tasks/{task_id}")
        if status != 200 or answer["task"]["version"] != version:
            wrong_versions.append((task_id, status, answer))
    check(not wrong_versions, f"every task at the version its updates gave ({wrong_versions[:3]})")
    _, _, answer = client.request("GET", f"/tasks/{shared['taskId']}")
    check(answer["task"]["version"] == 1 + shared_updates[0],
          f"the shared task counts all {shared_updates[0]} unconditional updates "
          f"(version {answer['task']['version']})")
    listed, token = set(), None
    while True:
        path = "/tasks?limit=100" + (f"&nextToken={token}" if token else "")
        _, _, page = client.request("GET", path)
        listed.update(t["taskId"] for t in page["tasks"] if "load" in t["tags"])
        token = page.get("nextToken")
        if not token:
            break
    check(listed == set(created) | {shared["taskId"]}, "the listing holds exactly the tasks created")

    print(f"load: {args.writers} writers, {writes} writes in {seconds:.1f} s "
          f"({writes / seconds:.0f} a second), statuses {dict(sorted(tally.statuses.items()))}, "
          f"{tally.retries} retries after 503")
    passed = sum(ok for ok, _ in checks)
    print(f"load: {passed} passed, {len(checks) - passed} failed")
    sys.exit(0 if passed == len(checks) else 1)


if __name__ == "__main__":
    main()
