"""`sam local start-api` with the local-caller build, and a walk over real HTTP: create, list,
get, PATCH with the current and a stale If-Match, a bad body, 405s, delete, get. The tests
run in this order and share the task the first one creates."""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from conftest import ROOT, SAM, SAM_PARAMETERS, WORK, figures
from sam_offline import free_loopback_port


class Http:
    """Plain HTTP to the local API: no proxy, loopback only."""

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def __call__(self, method, path, expected, body=None, headers=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with self.opener.open(request, timeout=60) as response:
                status, got_headers, raw = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, got_headers, raw = error.code, error.headers, error.read()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode(errors="replace")
        assert status == expected, f"{method} {path} -> {status}, expected {expected}; body: {parsed}"
        return got_headers, parsed


@pytest.fixture(scope="module")
def http(local_caller_template, env_file, env_values, containers_removed):
    log_path = WORK / "start-api.log"
    port = free_loopback_port()
    with open(log_path, "w") as log:
        started = time.monotonic()
        process = subprocess.Popen(
            [*SAM, "local", "start-api", "-t", str(local_caller_template), "--env-vars", str(env_file),
             *SAM_PARAMETERS, "--host", "127.0.0.1", "--port", str(port), "--warm-containers", "LAZY"],
            stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True,
        )
        try:
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() - started > 120:
                        raise RuntimeError(f"sam local start-api did not listen:\n{log_path.read_text()[-3000:]}")
                    time.sleep(0.2)
            figures.append(f"sam local start-api listened on 127.0.0.1:{port} after "
                           f"{time.monotonic() - started:.1f} s, caller {env_values['TASKS_LOCAL_CALLER_ID']} "
                           f"(its log: {os.path.relpath(log_path, ROOT)})")
            yield Http(f"http://127.0.0.1:{port}")
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


walk = {}


@pytest.fixture
def task_id():
    if "task_id" not in walk:
        pytest.skip("no task: creating one failed (above)")
    return walk["task_id"]


def test_create_answers_201_with_location_and_etag_1(http):
    headers, body = http("POST", "/tasks", 201, {"title": "Check sam local", "priority": "high", "tags": ["sam"]})
    task_id = body["task"]["taskId"]
    walk["task_id"] = task_id
    assert headers.get("Location", "").endswith(f"/tasks/{task_id}") and headers.get("ETag") == '"1"', dict(headers)


def test_the_list_is_the_local_callers_one_task(http, task_id, env_values):
    _, body = http("GET", "/tasks", 200)
    assert [t["taskId"] for t in body.get("tasks", [])] == [task_id], (env_values["TASKS_LOCAL_CALLER_ID"], body)


def test_get_answers_etag_1(http, task_id):
    headers, _ = http("GET", f"/tasks/{task_id}", 200)
    assert headers.get("ETag") == '"1"', dict(headers)


def test_patch_with_the_current_if_match_is_200_and_a_stale_one_412(http, task_id):
    http("PATCH", f"/tasks/{task_id}", 200, {"status": "in_progress"}, {"If-Match": '"1"'})
    http("PATCH", f"/tasks/{task_id}", 412, {"status": "completed"}, {"If-Match": '"1"'})


def test_a_bad_body_is_a_400_validation_problem_naming_the_fields(http):
    _, body = http("POST", "/tasks", 400, {"title": "", "status": "done"})
    assert isinstance(body, dict) and body.get("status") == 400 and body.get("errors"), body


@pytest.mark.parametrize("method, item, allow", [
    ("POST", True, "GET, PUT, PATCH, DELETE"),
    ("PUT", False, "GET, POST"),
    ("DELETE", False, "GET, POST"),
], ids=["POST /tasks/{id}", "PUT /tasks", "DELETE /tasks"])
def test_an_operation_a_path_does_not_serve_is_405_with_allow(http, task_id, method, item, allow):
    headers, _ = http(method, f"/tasks/{task_id}" if item else "/tasks", 405)
    assert headers.get("Allow") == allow, dict(headers)


def test_delete_then_get_is_404(http, task_id):
    http("DELETE", f"/tasks/{task_id}", 200)
    http("GET", f"/tasks/{task_id}", 404)
